//! Batch processing: one operation, with one set of parameters, on every object under a
//! prefix — in the cloud (results stored at keys a [`FileIdTemplate`] names) or during
//! download (results written under a local folder) — with bounded concurrency, the client's
//! retries, a per-object result stream, and a journal that lets a rerun skip what is done.

mod journal;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use cos_ci_validate::{Mode, OpSpec, Operation, ParamValues, PicOperations, PicRule};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use crate::bucket::{ListEntry, ListObjects, ObjectSummary};
use crate::client::{Client, Source};
use crate::error::Error;
use journal::{Journal, Recorded};

/// Where each object's result goes, as a template of its key.
///
/// Placeholders, for the source key `photos/2024/a.b.png`:
///
/// | placeholder | value | |
/// |---|---|---|
/// | `{key}` | `photos/2024/a.b.png` | the whole key |
/// | `{dir}` | `photos/2024` | its folder, without the last `/` (empty at the top) |
/// | `{name}` | `a.b.png` | the last segment |
/// | `{stem}` | `a.b` | the name up to its last `.` (a leading dot does not count) |
/// | `{ext}` | `png` | the name after its last `.` (empty without one) |
///
/// `{{` and `}}` stand for literal braces. The rendered text is the output's whole key: a
/// leading `/` is optional (the result never lands relative to the source's folder unless
/// the template says `{dir}/…`), and runs of `/` left by an empty `{dir}` are collapsed.
///
/// ```
/// use cos_ci_client::FileIdTemplate;
///
/// # fn main() -> Result<(), cos_ci_client::Error> {
/// let t = FileIdTemplate::parse("out/{dir}/{stem}-big.{ext}")?;
/// assert_eq!(t.render("photos/2024/a.b.png")?, "out/photos/2024/a.b-big.png");
/// assert_eq!(t.render("top.jpg")?, "out/top-big.jpg");
/// assert!(FileIdTemplate::parse("out/{size}").is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileIdTemplate {
    text: String,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Key,
    Dir,
    Name,
    Stem,
    Ext,
}

impl FileIdTemplate {
    /// Parses `template`; an unknown placeholder or an unmatched brace is an error.
    pub fn parse(template: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidArgument {
            argument: "fileid",
            reason: format!("template {template:?}: {reason}"),
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("{{") {
                text.push('{');
                rest = after;
                continue;
            }
            if let Some(after) = tail.strip_prefix("}}") {
                text.push('}');
                rest = after;
                continue;
            }
            if tail.starts_with('}') {
                return Err(invalid(
                    "a '}' without its '{' (write '}}' for a brace)".into(),
                ));
            }
            let Some(end) = tail.find('}') else {
                return Err(invalid(
                    "a '{' without its '}' (write '{{' for a brace)".into(),
                ));
            };
            let piece = match &tail[1..end] {
                "key" => Piece::Key,
                "dir" => Piece::Dir,
                "name" => Piece::Name,
                "stem" => Piece::Stem,
                "ext" => Piece::Ext,
                other => {
                    return Err(invalid(format!(
                        "unknown placeholder {{{other}}}; use {{key}}, {{dir}}, {{name}}, {{stem}} or {{ext}}"
                    )));
                }
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(piece);
            rest = &tail[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        if pieces.is_empty() {
            return Err(invalid("it is empty".into()));
        }
        Ok(FileIdTemplate {
            text: template.to_string(),
            pieces,
        })
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The output key for the source `key` (no leading `/`); an error when it is not a
    /// valid fileid (empty, ending in `/`, a `.` or `..` segment, too long).
    pub fn render(&self, key: &str) -> Result<String, Error> {
        let (dir, name) = match key.rfind('/') {
            Some(i) => (&key[..i], &key[i + 1..]),
            None => ("", key),
        };
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
            _ => (name, ""),
        };
        let mut out = String::from("/");
        for piece in &self.pieces {
            out.push_str(match piece {
                Piece::Text(t) => t,
                Piece::Key => key,
                Piece::Dir => dir,
                Piece::Name => name,
                Piece::Stem => stem,
                Piece::Ext => ext,
            });
        }
        let mut fileid = String::with_capacity(out.len());
        for c in out.chars() {
            if !(c == '/' && fileid.ends_with('/')) {
                fileid.push(c);
            }
        }
        Ok(cos_ci_validate::resolve_fileid(key, &fileid)?)
    }
}

impl fmt::Display for FileIdTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where a batch puts its results.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchTarget {
    /// In the cloud (`POST ?image_process`): each result is stored in the bucket at the key
    /// the template gives.
    Cloud(FileIdTemplate),
    /// During download (`GET ?ci-process=`): each result is written under this folder, at
    /// the key's path below the prefix's folder (`photos/2024/a.png` with prefix `photos/`
    /// goes to `<dir>/2024/a.png`), through a temporary file renamed into place.
    Download(PathBuf),
}

impl fmt::Display for BatchTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchTarget::Cloud(t) => write!(f, "cloud {t}"),
            BatchTarget::Download(dir) => write!(f, "download {}", dir.display()),
        }
    }
}

/// What a batch works on, where results go, and how.
///
/// ```
/// use cos_ci_client::BatchOptions;
///
/// # fn main() -> Result<(), cos_ci_client::Error> {
/// let cloud = BatchOptions::cloud("photos/", "enhanced/{key}")?.with_concurrency(8);
/// let local = BatchOptions::download("photos/", "./out")
///     .with_journal("photos.journal")
///     .with_dry_run(true);
/// # let _ = (cloud, local); Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Every object whose key starts with this is processed (folder markers, keys ending
    /// in `/`, are skipped).
    pub prefix: String,
    /// Where results go.
    pub target: BatchTarget,
    /// Objects in flight at once. Default 4.
    pub concurrency: usize,
    /// The journal file (see [`BatchOptions::with_journal`]); none by default.
    pub journal: Option<PathBuf>,
    /// List what would be done and send no processing request.
    pub dry_run: bool,
}

impl BatchOptions {
    /// Every object under `prefix`, processed in the cloud into the keys `fileid` names.
    pub fn cloud(prefix: impl Into<String>, fileid: &str) -> Result<Self, Error> {
        Ok(Self::new(
            prefix.into(),
            BatchTarget::Cloud(FileIdTemplate::parse(fileid)?),
        ))
    }

    /// Every object under `prefix`, processed during download into files under `dir`.
    pub fn download(prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self::new(prefix.into(), BatchTarget::Download(dir.into()))
    }

    fn new(prefix: String, target: BatchTarget) -> Self {
        BatchOptions {
            prefix,
            target,
            concurrency: 4,
            journal: None,
            dry_run: false,
        }
    }

    /// At most `n` objects in flight at once (at least 1).
    #[must_use]
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Journals progress to `path`: created when missing; when it exists (same operation,
    /// parameters, prefix and target, else the batch is refused), the objects it records as
    /// done are skipped, and those that were in flight when the run stopped are processed
    /// again only if their output is missing. One batch at a time per journal. The format
    /// is a line per event:
    ///
    /// ```text
    /// cos-ci-batch-journal 1 <job>    the version and the job it belongs to
    /// S <key> <output>                about to process <key> into <output>
    /// D <key> <output>                <key> is done
    /// F <key> <reason>                <key> failed (a rerun tries it again)
    /// ```
    ///
    /// with every field percent-encoded (no space, `%`, control or non-ASCII byte is left).
    /// Lines are written whole as events happen and fsynced every 64 lines, at the end and
    /// when the batch is dropped; a last line cut short by a crash is dropped on reading.
    #[must_use]
    pub fn with_journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Only lists what would be done: each object comes out as [`BatchOutcome::Planned`]
    /// (or skipped), no processing request is sent and the journal is not written.
    #[must_use]
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

/// Why an object was not processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SkipReason {
    /// The journal records it as done in an earlier run.
    Journaled,
    /// It was in flight when an earlier run stopped, and its output exists.
    OutputExists,
    /// A folder marker (a key ending in `/`).
    Folder,
    /// The key is the output of another object of this batch (processing it would process
    /// results again, on and on).
    OutputOfBatch,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::Journaled => "done in an earlier run (journal)",
            SkipReason::OutputExists => "done in an earlier run (its output exists)",
            SkipReason::Folder => "a folder marker",
            SkipReason::OutputOfBatch => "an output of this batch",
        })
    }
}

/// What happened to one object.
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchOutcome {
    /// Processed.
    Done {
        /// The output's key (cloud) or file path (download).
        output: String,
        /// The result's size in bytes.
        size: Option<u64>,
        /// The request id of the processing answer.
        request_id: Option<String>,
    },
    /// A dry run: it would be processed into `output`.
    Planned {
        /// The output's key (cloud) or file path (download).
        output: String,
    },
    /// Not processed, and no need to.
    Skipped {
        /// Why.
        reason: SkipReason,
    },
    /// Processing failed (after the client's retries); a rerun tries it again.
    Failed {
        /// Why.
        error: Error,
    },
}

/// One object's result.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItem {
    /// The source object's key.
    pub key: String,
    /// What happened to it.
    pub outcome: BatchOutcome,
}

/// The counts of a batch, and every failure with its reason.
///
/// ```
/// use cos_ci_client::BatchSummary;
/// let summary = BatchSummary::new();
/// assert!(summary.is_success());
/// assert_eq!(summary.to_string(), "0 done, 0 skipped, 0 failed");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchSummary {
    /// Objects processed.
    pub done: u64,
    /// Objects a dry run would process.
    pub planned: u64,
    /// Objects skipped.
    pub skipped: u64,
    /// Objects that failed.
    pub failed: u64,
    /// Skipped objects by reason, in reason order.
    pub skipped_by_reason: Vec<(SkipReason, u64)>,
    /// `(key, reason)` of each failure, in the order they happened.
    pub failures: Vec<(String, String)>,
}

impl BatchSummary {
    /// Nothing counted yet.
    pub fn new() -> Self {
        BatchSummary::default()
    }

    /// Counts `item`.
    pub fn record(&mut self, item: &BatchItem) {
        match &item.outcome {
            BatchOutcome::Done { .. } => self.done += 1,
            BatchOutcome::Planned { .. } => self.planned += 1,
            BatchOutcome::Skipped { reason } => {
                self.skipped += 1;
                match self
                    .skipped_by_reason
                    .binary_search_by_key(reason, |(r, _)| *r)
                {
                    Ok(i) => self.skipped_by_reason[i].1 += 1,
                    Err(i) => self.skipped_by_reason.insert(i, (*reason, 1)),
                }
            }
            BatchOutcome::Failed { error } => {
                self.failed += 1;
                self.failures.push((item.key.clone(), error.to_string()));
            }
        }
    }

    /// Objects counted.
    pub fn total(&self) -> u64 {
        self.done + self.planned + self.skipped + self.failed
    }

    /// Whether nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for BatchSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.planned > 0 {
            write!(f, "{} planned, ", self.planned)?;
        }
        write!(f, "{} done, {} skipped", self.done, self.skipped)?;
        if !self.skipped_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .skipped_by_reason
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            write!(f, " ({})", reasons.join(", "))?;
        }
        write!(f, ", {} failed", self.failed)
    }
}

/// A running batch: a stream of one [`BatchItem`] per listed object, in completion order,
/// ending when every object is through. An `Err` item is a listing failure; the stream ends
/// after it. Dropping the batch stops it: objects in flight are abandoned, the journal is
/// synced, and a rerun with the same journal checks their outputs before redoing them.
pub struct Batch {
    stream: BoxStream<'static, Result<BatchItem, Error>>,
    shared: Arc<Shared>,
    unreadable: usize,
    finished: bool,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("operation", &self.shared.spec.name)
            .field("target", &self.shared.target)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Lines of the journal that could not be read (a last line cut short by a crash
    /// included); they were skipped.
    pub fn unreadable_journal_lines(&self) -> usize {
        self.unreadable
    }

    /// Runs the batch to the end and counts the outcomes.
    pub async fn summary(mut self) -> Result<BatchSummary, Error> {
        let mut summary = BatchSummary::new();
        while let Some(item) = self.next().await {
            summary.record(&item?);
        }
        Ok(summary)
    }
}

impl Stream for Batch {
    type Item = Result<BatchItem, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let next = self.stream.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            self.finished = true;
            if let Some(journal) = &self.shared.journal {
                // The end of a batch is a point a caller may rely on: everything on disk.
                if let Err(e) = journal.sync() {
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
        next
    }
}

/// What every object's work shares.
struct Shared {
    client: Client,
    spec: &'static OpSpec,
    values: ParamValues,
    rule: String,
    target: BatchTarget,
    /// The prefix up to its last `/`: download paths are relative to it.
    prefix_folder: String,
    journal: Option<Journal>,
}

/// Decides, in listing order and without I/O, what to do with each object.
struct Planner {
    shared: Arc<Shared>,
    recorded: Recorded,
    /// Every output of this batch so far (and of earlier runs), with its source key.
    outputs: HashMap<String, String>,
    dry_run: bool,
}

/// One object's work.
enum Work {
    Decided(BatchItem),
    Process {
        key: String,
        output: String,
        /// It was in flight when an earlier run stopped: look for its output first.
        recover: bool,
    },
    ListingFailed(Error),
}

impl Planner {
    fn plan(&mut self, object: ObjectSummary) -> Work {
        let key = object.key;
        let decided = |key: String, outcome| Work::Decided(BatchItem { key, outcome });
        if key.ends_with('/') {
            let reason = SkipReason::Folder;
            return decided(key, BatchOutcome::Skipped { reason });
        }
        if self.recorded.done.contains_key(&key) {
            let reason = SkipReason::Journaled;
            return decided(key, BatchOutcome::Skipped { reason });
        }
        let output = match &self.shared.target {
            BatchTarget::Cloud(template) => {
                if self.outputs.get(&key).is_some_and(|source| *source != key) {
                    let reason = SkipReason::OutputOfBatch;
                    return decided(key, BatchOutcome::Skipped { reason });
                }
                template.render(&key)
            }
            BatchTarget::Download(dir) => local_path(dir, &self.shared.prefix_folder, &key)
                .map(|p| p.to_string_lossy().into_owned()),
        };
        let output = match output {
            Ok(output) => output,
            Err(error) => return decided(key, BatchOutcome::Failed { error }),
        };
        if let Some(other) = self.outputs.get(&output).filter(|o| **o != key) {
            let error = Error::InvalidArgument {
                argument: "fileid",
                reason: format!("{output} is already the output of {other}"),
            };
            return decided(key, BatchOutcome::Failed { error });
        }
        self.outputs.insert(output.clone(), key.clone());
        if self.dry_run {
            return decided(key, BatchOutcome::Planned { output });
        }
        let recover = self.recorded.started.contains_key(&key);
        Work::Process {
            key,
            output,
            recover,
        }
    }
}

impl Client {
    /// Processes every object under `options.prefix` with `params`, in the cloud or during
    /// download (see [`BatchOptions`]), `options.concurrency` at a time, each request
    /// retried under the client's [`RetryPolicy`](crate::RetryPolicy). The parameters, the
    /// operation's support for the mode and the journal are checked before anything is
    /// listed.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use cos_ci_client::{BatchOptions, BatchOutcome, BatchSummary, Client};
    /// use cos_ci_client::ai_enhance_image::AiEnhanceImage;
    ///
    /// # async fn run(client: Client) -> Result<(), cos_ci_client::Error> {
    /// let options = BatchOptions::cloud("photos/", "enhanced/{dir}/{stem}.{ext}")?
    ///     .with_concurrency(8)
    ///     .with_journal("enhance.journal");
    /// let mut batch = client.batch(&AiEnhanceImage::new().with_denoise(1), options).await?;
    /// let mut summary = BatchSummary::new();
    /// while let Some(item) = batch.next().await {
    ///     let item = item?; // an error here is the listing's
    ///     if let BatchOutcome::Failed { error } = &item.outcome {
    ///         eprintln!("{}: {error}", item.key);
    ///     }
    ///     summary.record(&item);
    /// }
    /// println!("{summary}");
    /// # Ok(()) }
    /// ```
    pub async fn batch<O: Operation>(
        &self,
        params: &O,
        options: BatchOptions,
    ) -> Result<Batch, Error> {
        self.batch_values(O::SPEC, params.to_values(), options)
            .await
    }

    /// [`Client::batch`] with dynamic `values` of `spec` (as the CLI builds them).
    pub async fn batch_values(
        &self,
        spec: &'static OpSpec,
        values: ParamValues,
        options: BatchOptions,
    ) -> Result<Batch, Error> {
        spec.check(&values)?;
        let mode = match options.target {
            BatchTarget::Cloud(_) => Mode::Cloud,
            BatchTarget::Download(_) => Mode::Download,
        };
        if !spec.supports(mode) {
            return Err(Error::InvalidArgument {
                argument: "operation",
                reason: format!("{} does not run in {} mode", spec.name, mode.as_str()),
            });
        }
        if options.concurrency == 0 {
            return Err(Error::InvalidArgument {
                argument: "concurrency",
                reason: "concurrency must be at least 1".into(),
            });
        }
        let rule = spec.encode_rule(&values);
        let (journal, recorded) = match &options.journal {
            Some(path) => {
                let job = format!(
                    "{} {rule} prefix={} -> {}",
                    spec.name, options.prefix, options.target
                );
                let path = path.clone();
                let dry_run = options.dry_run;
                // A dry run reads the journal but neither creates nor changes it.
                tokio::task::spawn_blocking(move || match dry_run {
                    true => Journal::read(&path, &job).map(|r| (None, r)),
                    false => Journal::open(&path, &job).map(|(j, r)| (Some(j), r)),
                })
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))??
            }
            None => (None, Recorded::default()),
        };
        let unreadable = recorded.unreadable;
        let prefix_folder = match options.prefix.rfind('/') {
            Some(i) => options.prefix[..=i].to_string(),
            None => String::new(),
        };
        let shared = Arc::new(Shared {
            client: self.clone(),
            spec,
            values,
            rule,
            target: options.target,
            prefix_folder,
            journal,
        });
        // Outputs of earlier runs are outputs of this batch too: never sources.
        let outputs = recorded
            .done
            .iter()
            .chain(&recorded.started)
            .map(|(key, output)| (output.clone(), key.clone()))
            .collect();
        let mut planner = Planner {
            shared: shared.clone(),
            recorded,
            outputs,
            dry_run: options.dry_run,
        };
        let worker = shared.clone();
        let stream = self
            .list_objects(ListObjects::new().with_prefix(options.prefix))
            .filter_map(|entry| async move {
                match entry {
                    Ok(ListEntry::Object(o)) => Some(Ok(o)),
                    // No delimiter is asked for, so no prefix comes; nothing to do with one.
                    Ok(ListEntry::Prefix(_)) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .map(move |entry| match entry {
                Ok(object) => planner.plan(object),
                Err(e) => Work::ListingFailed(e),
            })
            .map(move |work| run(worker.clone(), work))
            .buffer_unordered(options.concurrency);
        Ok(Batch {
            stream: Box::pin(stream),
            shared,
            unreadable,
            finished: false,
        })
    }
}

/// Does one object's work.
async fn run(shared: Arc<Shared>, work: Work) -> Result<BatchItem, Error> {
    let (key, output, recover) = match work {
        Work::Decided(item) => return Ok(item),
        Work::ListingFailed(e) => return Err(e),
        Work::Process {
            key,
            output,
            recover,
        } => (key, output, recover),
    };
    let outcome = process(&shared, &key, output, recover).await;
    Ok(BatchItem { key, outcome })
}

async fn process(shared: &Shared, key: &str, output: String, recover: bool) -> BatchOutcome {
    let journal = shared.journal.as_ref();
    if recover {
        // The earlier run may have stopped after the result was stored but before it was
        // journaled: processing again would do the work twice.
        match output_exists(shared, &output).await {
            Ok(true) => {
                return match journal.map_or(Ok(()), |j| j.done(key, &output)) {
                    Ok(()) => BatchOutcome::Skipped {
                        reason: SkipReason::OutputExists,
                    },
                    Err(error) => BatchOutcome::Failed { error },
                };
            }
            Ok(false) => {}
            Err(error) => return BatchOutcome::Failed { error },
        }
    }
    // Journaled before the request goes out, so that a run stopped while it is in flight
    // leaves a trace the next run follows.
    if let Some(Err(error)) = journal.map(|j| j.started(key, &output)) {
        return BatchOutcome::Failed { error };
    }
    let result = match &shared.target {
        BatchTarget::Cloud(_) => cloud(shared, key, &output).await,
        BatchTarget::Download(_) => download(shared, key, Path::new(&output)).await,
    };
    match result {
        Ok((size, request_id)) => match journal.map_or(Ok(()), |j| j.done(key, &output)) {
            Ok(()) => BatchOutcome::Done {
                output,
                size,
                request_id,
            },
            Err(error) => BatchOutcome::Failed { error },
        },
        Err(error) => {
            if let Some(Err(e)) = journal.map(|j| j.failed(key, &error.to_string())) {
                tracing::warn!(%key, error = %e, "cannot journal a failure");
            }
            BatchOutcome::Failed { error }
        }
    }
}

async fn output_exists(shared: &Shared, output: &str) -> Result<bool, Error> {
    match &shared.target {
        BatchTarget::Cloud(_) => match shared.client.head_object(output).await {
            Ok(_) => Ok(true),
            Err(e) if e.service().is_some_and(|s| s.status == 404) => Ok(false),
            Err(e) => Err(e),
        },
        BatchTarget::Download(_) => Ok(tokio::fs::try_exists(output).await?),
    }
}

type Processed = (Option<u64>, Option<String>);

async fn cloud(shared: &Shared, key: &str, output: &str) -> Result<Processed, Error> {
    let mut ops = PicOperations::new();
    ops.rules.push(PicRule {
        bucket: None,
        fileid: format!("/{output}"),
        rule: shared.rule.clone(),
    });
    let result = shared.client.image_process(key, &ops).await?;
    let size = result
        .process_results
        .as_ref()
        .and_then(|r| r.object.first())
        .and_then(|o| u64::try_from(o.size).ok());
    Ok((size, None))
}

async fn download(shared: &Shared, key: &str, path: &Path) -> Result<Processed, Error> {
    let image = shared
        .client
        .process_values(shared.spec, &shared.values, &Source::key(key))
        .await?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    // A temporary file beside the target, renamed into place once whole: a file at the
    // target path is always a complete result, which is what a rerun relies on.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{:08x}.cos-ci-part", fastrand::u32(..)));
    let written = async {
        tokio::fs::write(&tmp, &image.bytes).await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::Io(e));
    }
    Ok((Some(image.bytes.len() as u64), image.request_id))
}

/// The file for `key` under `dir`: its path below `prefix_folder`, refusing any segment that
/// would leave `dir` or name no file (keys are the bucket's, not ours to trust).
fn local_path(dir: &Path, prefix_folder: &str, key: &str) -> Result<PathBuf, Error> {
    let relative = key.strip_prefix(prefix_folder).unwrap_or(key);
    let mut path = dir.to_path_buf();
    for segment in relative.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['\\', '\0'])
            || (cfg!(windows) && segment.contains(':'))
        {
            return Err(Error::InvalidArgument {
                argument: "key",
                reason: format!(
                    "the key {key:?} cannot be written under {}: it has an empty, '.' or '..' segment or a separator",
                    dir.display()
                ),
            });
        }
        path.push(segment);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_every_placeholder() {
        let t = FileIdTemplate::parse("/out/{dir}/{name}|{stem}|{ext}|{key}{{}}").unwrap();
        assert_eq!(
            t.render("a/b/c.tar.gz").unwrap(),
            "out/a/b/c.tar.gz|c.tar|gz|a/b/c.tar.gz{}"
        );
        let t = FileIdTemplate::parse("{dir}/{stem}-x.{ext}").unwrap();
        assert_eq!(t.render("top.png").unwrap(), "top-x.png");
        assert_eq!(t.render(".hidden").unwrap(), ".hidden-x.");
        for bad in ["", "{nope}", "{key", "key}", "a{}"] {
            assert!(FileIdTemplate::parse(bad).is_err(), "{bad:?}");
        }
        // A template whose result is no fileid fails per key.
        let t = FileIdTemplate::parse("{dir}/").unwrap();
        assert!(t.render("a/b.png").is_err());
        let t = FileIdTemplate::parse("out/{dir}/x").unwrap();
        assert!(
            t.render("../b.png").is_err(),
            "no '..' segment gets through"
        );
    }

    #[test]
    fn local_paths_stay_under_the_folder() {
        let dir = Path::new("/tmp/out");
        assert_eq!(
            local_path(dir, "photos/", "photos/2024/a.png").unwrap(),
            Path::new("/tmp/out/2024/a.png")
        );
        assert_eq!(
            local_path(dir, "", "x/a.png").unwrap(),
            Path::new("/tmp/out/x/a.png")
        );
        for bad in [
            "photos/../../etc/passwd",
            "photos/a//b",
            "photos/./a",
            "photos/a\\b",
        ] {
            assert!(local_path(dir, "photos/", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_summary_counts_and_names_failures() {
        let mut s = BatchSummary::new();
        let item = |key: &str, outcome| BatchItem {
            key: key.into(),
            outcome,
        };
        s.record(&item(
            "a",
            BatchOutcome::Done {
                output: "o".into(),
                size: None,
                request_id: None,
            },
        ));
        for reason in [
            SkipReason::Folder,
            SkipReason::Journaled,
            SkipReason::Folder,
        ] {
            s.record(&item("b/", BatchOutcome::Skipped { reason }));
        }
        s.record(&item(
            "c",
            BatchOutcome::Failed {
                error: Error::InvalidArgument {
                    argument: "key",
                    reason: "bad".into(),
                },
            },
        ));
        assert_eq!(s.total(), 5);
        assert!(!s.is_success());
        assert_eq!(
            s.to_string(),
            "1 done, 3 skipped (1 done in an earlier run (journal), 2 a folder marker), 1 failed"
        );
        assert_eq!(s.failures, [("c".to_string(), "key: bad".to_string())]);
    }
}
