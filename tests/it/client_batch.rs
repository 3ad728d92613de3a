//! Batch processing against the mock: 200 PNGs under a prefix processed in the cloud, a run
//! stopped half-way and resumed from its journal (each object processed exactly once, as the
//! mock's request log shows), failures with their reasons, dry runs, and the download mode.

use std::collections::HashMap;
use std::time::Duration;

use cos_ci_client::ai_enhance_image::AiEnhanceImage;
use cos_ci_client::{
    BatchItem, BatchOptions, BatchOutcome, BatchSummary, Client, Credentials, ListEntry,
    ListObjects, RetryPolicy, SkipReason,
};
use cos_ci_mock::{Fault, MockServer};
use cos_ci_tests::{dimensions, sample_png};
use futures_util::{StreamExt, TryStreamExt};

use crate::mock_support::bounded;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(10),
        })
        .build()
        .unwrap()
}

/// Stores `n` small PNGs at `<prefix>img-000.png`…, 16 at a time.
async fn put_pngs(client: &Client, prefix: &str, n: usize) -> Vec<String> {
    let png = sample_png(12, 10);
    let keys: Vec<String> = (0..n).map(|i| format!("{prefix}img-{i:03}.png")).collect();
    futures_util::stream::iter(keys.clone())
        .map(|key| {
            let png = png.clone();
            async move { client.put_object(&key, png).await.map(|_| ()) }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    keys
}

/// Successful processing requests per key, of `action` (`ImageProcess` or `CiProcess`).
fn processed(server: &MockServer, action: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in server.requests() {
        if r.action == action && r.status == 200 {
            *counts.entry(r.key).or_insert(0) += 1;
        }
    }
    counts
}

async fn keys_under(client: &Client, prefix: &str) -> Vec<String> {
    client
        .list_objects(ListObjects::new().with_prefix(prefix))
        .try_filter_map(|e| async move {
            Ok(match e {
                ListEntry::Object(o) => Some(o.key),
                ListEntry::Prefix(_) => None,
            })
        })
        .try_collect()
        .await
        .unwrap()
}

/// Waits until the mock has no processing job running: a request abandoned by a dropped
/// batch is over (finished or cancelled) before the next run looks at its output.
async fn settle(server: &MockServer) {
    bounded(async {
        loop {
            let c = server.job_counts();
            if c.waiting == 0 && c.started == c.finished + c.cancelled {
                let before = server.requests().len();
                tokio::time::sleep(Duration::from_millis(100)).await;
                let c2 = server.job_counts();
                if server.requests().len() == before && c2.started == c.started {
                    return;
                }
            } else {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    })
    .await
}

fn outcome_name(item: &BatchItem) -> &'static str {
    match &item.outcome {
        BatchOutcome::Done { .. } => "done",
        BatchOutcome::Planned { .. } => "planned",
        BatchOutcome::Skipped { .. } => "skipped",
        BatchOutcome::Failed { .. } => "failed",
        _ => "other",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_batch_resumes_from_its_journal_and_processes_each_object_once() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys = put_pngs(&client, "in/", 200).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("batch.journal");
    let params = AiEnhanceImage::new().with_denoise(1);
    let options = || {
        BatchOptions::cloud("in/", "out/{stem}.{ext}")
            .unwrap()
            .with_concurrency(8)
            .with_journal(&journal)
    };

    // First run: stopped (the stream dropped, requests in flight abandoned) after 80 results.
    let mut batch = client.batch(&params, options()).await.unwrap();
    let mut first = BatchSummary::new();
    while first.total() < 80 {
        let item = bounded(batch.next()).await.unwrap().unwrap();
        assert_eq!(outcome_name(&item), "done", "{item:?}");
        first.record(&item);
    }
    drop(batch);
    settle(&server).await;
    let after_first = processed(&server, "ImageProcess");
    assert!(after_first.len() >= 80, "{}", after_first.len());
    assert!(
        after_first.len() < 200,
        "the first run was stopped half-way"
    );

    // A crash while appending leaves a torn last line: tolerated.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap();
        f.write_all(b"D in%2Fimg-19").unwrap();
    }

    // Second run, same journal: the rest, and nothing again.
    let batch = client.batch(&params, options()).await.unwrap();
    assert_eq!(batch.unreadable_journal_lines(), 1);
    let second = bounded(batch.summary()).await.unwrap();
    assert!(second.is_success(), "{:?}", second.failures);
    assert_eq!(second.total(), 200);
    assert_eq!(second.done as usize, 200 - after_first.len(), "{second}");
    let journaled = second
        .skipped_by_reason
        .iter()
        .filter(|(r, _)| matches!(r, SkipReason::Journaled | SkipReason::OutputExists))
        .map(|(_, n)| n)
        .sum::<u64>();
    assert_eq!(journaled as usize, after_first.len());

    // Every object exactly once: nothing twice, nothing missed.
    let counts = processed(&server, "ImageProcess");
    for key in &keys {
        assert_eq!(counts.get(key), Some(&1), "{key}");
    }
    assert_eq!(counts.len(), 200);
    let outputs = keys_under(&client, "out/").await;
    assert_eq!(outputs.len(), 200);
    assert!(outputs.contains(&"out/img-199.png".to_string()));

    // A third run has nothing left to do.
    let third = client.batch(&params, options()).await.unwrap();
    let third = bounded(third.summary()).await.unwrap();
    assert_eq!((third.done, third.skipped), (0, 200), "{third}");
    assert_eq!(
        processed(&server, "ImageProcess").values().sum::<usize>(),
        200
    );
}

#[tokio::test]
async fn failures_are_reported_with_reasons_and_retried_on_the_next_run() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    put_pngs(&client, "f/", 10).await;
    client
        .put_object("f/notes.txt", b"not an image".to_vec())
        .await
        .unwrap();
    client.put_object("f/sub/", Vec::new()).await.unwrap();
    // A transient 500 is retried by the client's policy; a 4xx is not.
    server.inject_fault(Fault::error(Some("ImageProcess"), 500, "InternalError"));
    let dir = tempfile::tempdir().unwrap();
    let options = BatchOptions::cloud("f/", "/res/{name}")
        .unwrap()
        .with_concurrency(1)
        .with_journal(dir.path().join("j"));
    let params = AiEnhanceImage::new();
    let batch = client.batch(&params, options.clone()).await.unwrap();
    let summary = bounded(batch.summary()).await.unwrap();
    assert_eq!(summary.done, 10, "{summary}");
    assert_eq!(summary.failed, 1, "{summary}");
    assert_eq!(summary.skipped_by_reason, [(SkipReason::Folder, 1)]);
    let (key, reason) = &summary.failures[0];
    assert_eq!(key, "f/notes.txt");
    assert!(
        reason.contains("HTTP 4") || reason.contains("400") || reason.contains("Invalid"),
        "{reason}"
    );
    let log = server.requests();
    let failed_once: Vec<_> = log
        .iter()
        .filter(|r| r.action == "ImageProcess" && r.status == 500)
        .collect();
    assert_eq!(failed_once.len(), 1);
    assert_eq!(
        processed(&server, "ImageProcess").get(&failed_once[0].key),
        Some(&1),
        "the retry processed it"
    );

    // The rerun tries the failure again, and only it.
    let before = log.len();
    let again = client.batch(&params, options).await.unwrap();
    let again = bounded(again.summary()).await.unwrap();
    assert_eq!((again.done, again.failed), (0, 1), "{again}");
    let retried: Vec<_> = server.requests()[before..]
        .iter()
        .filter(|r| r.action == "ImageProcess")
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(retried, ["f/notes.txt"]);

    // Another job on the same journal is refused, not trusted.
    let other = BatchOptions::cloud("f/", "/elsewhere/{name}")
        .unwrap()
        .with_journal(dir.path().join("j"));
    assert!(client.batch(&params, other).await.is_err());
}

#[tokio::test]
async fn a_dry_run_lists_the_plan_and_sends_no_processing_request() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    put_pngs(&client, "d/", 5).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let options = BatchOptions::cloud("d/", "{dir}/big/{stem}.{ext}")
        .unwrap()
        .with_journal(&journal)
        .with_dry_run(true);
    let mut batch = client.batch(&AiEnhanceImage::new(), options).await.unwrap();
    let mut planned = Vec::new();
    while let Some(item) = batch.next().await {
        let item = item.unwrap();
        match item.outcome {
            BatchOutcome::Planned { output } => planned.push((item.key, output)),
            other => panic!("{other:?}"),
        }
    }
    planned.sort();
    assert_eq!(planned.len(), 5);
    assert_eq!(
        planned[0],
        ("d/img-000.png".into(), "d/big/img-000.png".into())
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.action != "ImageProcess" && r.action != "CiProcess"),
        "a dry run processes nothing"
    );
    assert!(!journal.exists(), "a dry run writes no journal");
    let tmp = tempfile::tempdir().unwrap();
    let local = BatchOptions::download("d/", tmp.path()).with_dry_run(true);
    let s = client.batch(&AiEnhanceImage::new(), local).await.unwrap();
    assert_eq!(s.summary().await.unwrap().planned, 5);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn outputs_inside_the_prefix_are_not_processed_again() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    put_pngs(&client, "p/", 4).await;
    let dir = tempfile::tempdir().unwrap();
    let options = BatchOptions::cloud("p/", "{key}.x.png")
        .unwrap()
        .with_journal(dir.path().join("j"));
    let first = client
        .batch(&AiEnhanceImage::new(), options.clone())
        .await
        .unwrap();
    assert_eq!(bounded(first.summary()).await.unwrap().done, 4);
    assert_eq!(keys_under(&client, "p/").await.len(), 8);
    let second = client.batch(&AiEnhanceImage::new(), options).await.unwrap();
    let second = bounded(second.summary()).await.unwrap();
    assert_eq!(
        second.skipped_by_reason,
        [(SkipReason::Journaled, 4), (SkipReason::OutputOfBatch, 4)],
        "{second}"
    );
    assert_eq!(processed(&server, "ImageProcess").len(), 4);
}

#[tokio::test]
async fn a_download_batch_writes_every_result_under_the_folder() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys = put_pngs(&client, "dl/sub/", 20).await;
    let out = tempfile::tempdir().unwrap();
    let options = BatchOptions::download("dl/", out.path()).with_concurrency(4);
    let batch = client
        .batch(
            &AiEnhanceImage::new().with_sharpen(0).with_denoise(0),
            options,
        )
        .await
        .unwrap();
    let summary = bounded(batch.summary()).await.unwrap();
    assert_eq!(summary.done, 20, "{summary}");
    for key in &keys {
        let name = key.strip_prefix("dl/").unwrap();
        let bytes = std::fs::read(out.path().join(name)).unwrap();
        assert_eq!(dimensions(&bytes), Some((12, 10, false)), "{key}");
    }
    let files = std::fs::read_dir(out.path().join("sub")).unwrap().count();
    assert_eq!(files, 20, "no temporary file left");
    assert_eq!(processed(&server, "CiProcess").len(), 20);
}
