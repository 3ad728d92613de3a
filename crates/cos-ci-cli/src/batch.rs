//! `batch`: one operation on every object under a prefix, in the cloud (`--fileid TEMPLATE`)
//! or during download (`--out DIR`), with a progress bar of counts and rate, a summary with
//! every failure's reason, and an optional journal that lets a rerun continue where an
//! interrupted one stopped.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use cos_ci_client::{BatchItem, BatchOptions, BatchOutcome, BatchSummary, Client};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::run::{Failure, decode};

/// `cos-ci batch OP --prefix P (--fileid TEMPLATE | --out DIR) [-p NAME=VALUE]...`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The operation.
    pub op: String,
    /// Process every object whose key starts with this (keys ending in / are skipped).
    #[arg(long, value_name = "P")]
    pub prefix: String,
    /// Process in the cloud and store each result at this key template: {key} (the whole
    /// key), {dir} (its folder), {name}, {stem} (the name without its extension), {ext};
    /// e.g. out/{dir}/{stem}.{ext}.
    #[arg(
        long,
        value_name = "TEMPLATE",
        required_unless_present = "out",
        conflicts_with = "out"
    )]
    pub fileid: Option<String>,
    /// Process during download and write each result under DIR, at the key's path below the
    /// prefix's folder.
    #[arg(long, visible_alias = "out-dir", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A processing parameter, NAME=VALUE (repeatable).
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Objects in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Record progress in FILE; a rerun with the same FILE skips what is done.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Print what would be processed (KEY -> OUTPUT); process nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the batch. Failures are printed as they happen and make the command fail at the
/// end; Ctrl-C drops the batch (the journal is synced as it goes) and prints what was done.
/// With `json`, every object is one JSON line on stdout and the summary is the last.
pub async fn run(client: &Client, args: BatchArgs, json: bool) -> Result<(), Failure> {
    let (spec, values) = decode(&args.op, &args.params)?;
    let mut options = match (&args.fileid, args.out) {
        (Some(template), _) => BatchOptions::cloud(args.prefix, template)?,
        (None, Some(dir)) => BatchOptions::download(args.prefix, dir),
        (None, None) => return Err(Failure::Usage("give --fileid TEMPLATE or --out DIR".into())),
    };
    options = options
        .with_concurrency(usize::from(args.concurrency))
        .with_dry_run(args.dry_run);
    let resumable = args.journal.is_some();
    if let Some(journal) = args.journal {
        options = options.with_journal(journal);
    }
    let mut batch = client.batch_values(spec, values, options).await?;
    if batch.unreadable_journal_lines() > 0 {
        eprintln!(
            "warning: skipped {} unreadable journal line(s) (a run cut short while writing)",
            batch.unreadable_journal_lines()
        );
    }
    let mut report = Report::new(args.dry_run, resumable, json);
    while let Some(item) = batch.next().await {
        report.record(&item?);
    }
    report.finish()
}

/// The progress bar and the running summary. Dropped before [`Report::finish`] — Ctrl-C
/// drops the command — it still says what was done and how to continue.
struct Report {
    summary: BatchSummary,
    bar: ProgressBar,
    started: Instant,
    dry_run: bool,
    resumable: bool,
    json: bool,
    finished: bool,
}

impl Report {
    fn new(dry_run: bool, resumable: bool, json: bool) -> Self {
        // The total is unknown until the listing ends: a counter with its rate, not a bar.
        let bar = if std::io::stderr().is_terminal() && !dry_run && !json {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {pos} objects, {per_sec} ({elapsed}) {msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Report {
            summary: BatchSummary::new(),
            bar,
            started: Instant::now(),
            dry_run,
            resumable,
            json,
            finished: false,
        }
    }

    fn record(&mut self, item: &BatchItem) {
        self.summary.record(item);
        if self.json {
            println!("{}", item_json(item));
            return;
        }
        match &item.outcome {
            BatchOutcome::Planned { output } => println!("{} -> {output}", item.key),
            BatchOutcome::Failed { error } => self
                .bar
                .suspend(|| eprintln!("failed: {}: {error}", item.key)),
            _ => {}
        }
        let s = &self.summary;
        self.bar.set_message(format!(
            "done {}, skipped {}, failed {}",
            s.done, s.skipped, s.failed
        ));
        self.bar.inc(1);
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let processed = self.summary.done + self.summary.failed;
        let rate = if secs > 0.0 {
            processed as f64 / secs
        } else {
            0.0
        };
        let what = if self.dry_run { "dry run" } else { "batch" };
        format!(
            "{what}: {} in {secs:.1} s ({rate:.1} objects/s)",
            self.summary
        )
    }

    fn finish(mut self) -> Result<(), Failure> {
        self.finished = true;
        self.bar.finish_and_clear();
        if self.json {
            println!("{}", summary_json(&self.summary, false));
        }
        eprintln!("{}", self.line());
        for (key, reason) in &self.summary.failures {
            eprintln!("  failed: {key}: {reason}");
        }
        if self.summary.failed > 0 {
            return Err(Failure::Partial(format!(
                "{} of {} objects failed{}",
                self.summary.failed,
                self.summary.total(),
                if self.resumable {
                    "; rerun with the same --journal to retry them"
                } else {
                    ""
                }
            )));
        }
        Ok(())
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.bar.finish_and_clear();
        if self.json {
            println!("{}", summary_json(&self.summary, true));
        }
        eprintln!("{} (stopped)", self.line());
        if self.resumable {
            eprintln!("rerun with the same --journal to continue");
        } else {
            eprintln!("without --journal a rerun starts over");
        }
    }
}

/// One object's result as a JSON line: `Key`, `Outcome` (done, planned, skipped, failed) and
/// `Output`, `Size`, `RequestId` or `Reason` as the outcome has them.
fn item_json(item: &BatchItem) -> serde_json::Value {
    let mut value = serde_json::json!({ "Key": item.key });
    let fields = match &item.outcome {
        BatchOutcome::Done {
            output,
            size,
            request_id,
        } => serde_json::json!({
            "Outcome": "done", "Output": output, "Size": size, "RequestId": request_id
        }),
        BatchOutcome::Planned { output } => {
            serde_json::json!({ "Outcome": "planned", "Output": output })
        }
        BatchOutcome::Skipped { reason } => {
            serde_json::json!({ "Outcome": "skipped", "Reason": reason.to_string() })
        }
        BatchOutcome::Failed { error } => {
            serde_json::json!({ "Outcome": "failed", "Reason": error.to_string() })
        }
        // The outcome list may grow: name it rather than drop the line.
        other => serde_json::json!({ "Outcome": format!("{other:?}") }),
    };
    if let (Some(map), serde_json::Value::Object(extra)) = (value.as_object_mut(), fields) {
        map.extend(extra);
    }
    value
}

/// The summary as the last JSON line.
fn summary_json(s: &BatchSummary, stopped: bool) -> serde_json::Value {
    serde_json::json!({
        "Summary": {
            "Done": s.done,
            "Planned": s.planned,
            "Skipped": s.skipped,
            "Failed": s.failed,
            "Failures": s.failures.iter().map(|(key, reason)| {
                serde_json::json!({ "Key": key, "Reason": reason })
            }).collect::<Vec<_>>(),
            "Stopped": stopped,
        }
    })
}
