//! Two costs batch processing rests on.
//!
//! * `credentials`: what the credential cache adds to each request once the credentials are
//!   cached: `Client::load_credentials` on a static pair and on a provider's pair with an
//!   expiry (which reads the clock), against the floor of cloning a `Credentials` (which
//!   `load_credentials` does last). The difference is the per-request overhead; it should stay
//!   below 100 ns.
//! * `batch`: 200 small PNGs processed in the cloud (`AIEnhanceImage`) against the in-process
//!   mock, at concurrency 1 and 8; the ratio of the two is printed at the end.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use cos_ci_client::ai_enhance_image::AiEnhanceImage;
use cos_ci_client::credentials::provide_credentials_fn;
use cos_ci_client::{BatchOptions, Client, Credentials, RetryPolicy};
use cos_ci_mock::MockServer;
use criterion::Criterion;
use futures_util::{FutureExt, StreamExt, TryStreamExt};

/// A 6 x 5 RGB PNG.
const PNG: [u8; 122] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 6, 0, 0, 0, 5, 8, 2, 0,
    0, 0, 233, 58, 10, 177, 0, 0, 0, 65, 73, 68, 65, 84, 120, 218, 99, 96, 96, 96, 208, 208, 208,
    8, 8, 8, 168, 168, 168, 88, 176, 96, 193, 137, 19, 39, 24, 68, 68, 68, 108, 108, 108, 82, 82,
    82, 122, 122, 122, 182, 108, 217, 114, 231, 206, 29, 116, 37, 31, 62, 124, 96, 64, 83, 194,
    194, 194, 194, 128, 166, 68, 66, 66, 2, 0, 87, 112, 43, 57, 204, 209, 250, 107, 0, 0, 0, 0, 73,
    69, 78, 68, 174, 66, 96, 130,
];

const OBJECTS: usize = 200;

fn builder() -> cos_ci_client::ClientBuilder {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
}

fn credentials(c: &mut Criterion) {
    let pair = Credentials::new("AKIDEXAMPLE", "example-secret");
    let static_client = builder()
        .credentials(pair.clone())
        .build()
        .expect("the bench client builds");
    let expiring = Credentials::new("AKIDEXAMPLE", "example-secret")
        .with_token("token-of-a-temporary-pair")
        .with_expiry(SystemTime::now() + Duration::from_secs(3600));
    let floor_expiring = expiring.clone();
    let provider_client = builder()
        .credentials_provider(provide_credentials_fn(move || {
            let fresh = expiring.clone();
            async move { Ok::<_, std::io::Error>(fresh) }
        }))
        .build()
        .expect("the bench client builds");
    // The cached path never waits, so it completes on its first poll.
    let load = |client: &Client| {
        client
            .load_credentials()
            .now_or_never()
            .expect("cached credentials are ready at once")
            .expect("credentials load")
    };
    load(&provider_client);

    let mut group = c.benchmark_group("credentials");
    group.bench_function("floor: clone a static pair", |b| {
        b.iter(|| black_box(&pair).clone())
    });
    group.bench_function("cached static pair", |b| {
        b.iter(|| load(black_box(&static_client)))
    });
    group.bench_function("floor: clone a temporary pair", |b| {
        b.iter(|| black_box(&floor_expiring).clone())
    });
    group.bench_function("cached provider pair with expiry", |b| {
        b.iter(|| load(black_box(&provider_client)))
    });
    group.finish();
}

async fn run_batch(client: &Client, concurrency: usize) {
    let options = BatchOptions::cloud("in/", "out/{stem}.{ext}")
        .expect("a valid template")
        .with_concurrency(concurrency);
    let summary = client
        .batch(&AiEnhanceImage::new().with_denoise(1), options)
        .await
        .expect("the batch starts")
        .summary()
        .await
        .expect("the listing works");
    assert_eq!(summary.done as usize, OBJECTS, "{summary}");
}

fn batch(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime
        .block_on(MockServer::start())
        .expect("the mock starts");
    let client = builder()
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .retry(RetryPolicy::none())
        .build()
        .expect("the bench client builds");
    runtime.block_on(async {
        futures_util::stream::iter(0..OBJECTS)
            .map(|i| {
                let client = client.clone();
                async move {
                    client
                        .put_object(&format!("in/{i:03}.png"), PNG.to_vec())
                        .await
                }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await
            .expect("the objects are stored");
    });

    let mut group = c.benchmark_group("batch_200_pngs_cloud");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for concurrency in [1usize, 8] {
        group.bench_function(format!("concurrency {concurrency}"), |b| {
            b.iter(|| runtime.block_on(run_batch(&client, concurrency)))
        });
    }
    group.finish();

    // The ratio, from medians of a few timed runs of each.
    let median = |concurrency: usize| {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                runtime.block_on(run_batch(&client, concurrency));
                start.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let one = median(1);
    let eight = median(8);
    println!(
        "batch of {OBJECTS}: concurrency 1 {one:.2?}, concurrency 8 {eight:.2?}: {:.2}x faster",
        one.as_secs_f64() / eight.as_secs_f64()
    );
    drop(server);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    credentials(&mut criterion);
    batch(&mut criterion);
    criterion.final_summary();
}
