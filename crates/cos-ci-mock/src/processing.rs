//! Running an operation's stand-in on input bytes, as all three modes do, within the
//! processing budget: at most `max_concurrent_jobs` at once, their estimated decoded memory
//! within `processing_memory_bytes` (jobs wait for room rather than fail), and a job whose
//! client has gone stops at its next checkpoint — or never starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use cos_ci_validate::{ErrorCode, OpSpec, Output, ParamValues};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::ApiError;
use crate::processors::{self, ImageLimits, ProcessError};
use crate::route::{Serve, Served, StandInInput};

/// Memory permits count KiB: tokio's `acquire_many` takes a `u32`, and 2^32 KiB (4 TiB) is
/// more than any budget needs.
const MEMORY_UNIT: u64 = 1024;

/// The shared processing budget.
#[derive(Debug)]
pub struct JobBudget {
    slots: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    memory_units: u32,
    memory_bytes: u64,
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    started: AtomicU64,
    finished: AtomicU64,
    cancelled: AtomicU64,
    waiting: AtomicU64,
}

/// How many jobs started, finished and stopped because their client left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Jobs that began running on the blocking pool.
    pub started: u64,
    /// Jobs that ran to the end (with a result or an error).
    pub finished: u64,
    /// Jobs stopped at a checkpoint because their request was dropped.
    pub cancelled: u64,
    /// Jobs waiting for room in the budget right now.
    pub waiting: u64,
}

impl JobBudget {
    /// The budget `config` sets.
    pub fn new(config: &Config) -> Self {
        let slots = usize::try_from(config.max_concurrent_jobs)
            .unwrap_or(usize::MAX)
            .clamp(1, Semaphore::MAX_PERMITS);
        let units = config.processing_memory_bytes.div_ceil(MEMORY_UNIT);
        let memory_units = u32::try_from(units).unwrap_or(u32::MAX).max(1);
        JobBudget {
            slots: Arc::new(Semaphore::new(slots)),
            memory: Arc::new(Semaphore::new(memory_units as usize)),
            memory_units,
            memory_bytes: config.processing_memory_bytes,
            counters: Arc::default(),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> JobCounts {
        let c = &self.counters;
        JobCounts {
            started: c.started.load(Ordering::SeqCst),
            finished: c.finished.load(Ordering::SeqCst),
            cancelled: c.cancelled.load(Ordering::SeqCst),
            waiting: c.waiting.load(Ordering::SeqCst),
        }
    }
}

/// Sets the flag when dropped: the request future holding it was dropped (client gone) or
/// finished (then the job is over and nobody looks).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Counts a job in the queue while it lives.
struct Waiting(Arc<Counters>);

impl Waiting {
    fn new(counters: Arc<Counters>) -> Self {
        counters.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(counters)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs every `(route, values)` on `input` on the blocking pool once the budget has room
/// for it; the rules run one after another, so the job's estimate is the input plus its
/// largest rule.
pub async fn run_jobs(
    budget: &JobBudget,
    work: Vec<(Served, ParamValues)>,
    input: Bytes,
) -> Result<Vec<Produced>, ApiError> {
    let largest = work
        .iter()
        // Only image stand-ins decode; an XML answer reads the header alone.
        .filter(|(route, _)| matches!(route.serve, Serve::Image))
        .filter_map(|(route, values)| {
            let stand_in = processors::stand_in(route.spec, values).ok()?;
            processors::memory_estimate(stand_in, &input)
        })
        .max()
        .unwrap_or(0);
    let estimate = largest.saturating_add(input.len() as u64);
    let units = estimate.div_ceil(MEMORY_UNIT).max(1);
    let units = match u32::try_from(units) {
        Ok(u) if u <= budget.memory_units => u,
        _ => {
            return Err(ApiError::new(
                ErrorCode::ImageResolutionExceed,
                format!(
                    "processing this image needs an estimated {estimate} bytes of decoded memory; \
                     the mock's processing_memory_bytes budget is {} bytes",
                    budget.memory_bytes
                ),
            ));
        }
    };
    let closed = || ApiError::new(ErrorCode::InternalError, "the processing budget is closed");
    // Memory first, then a slot, always in this order, so waiting jobs cannot deadlock.
    // Both waits end with the request: a queued job whose client left never starts.
    let waiting = Waiting::new(budget.counters.clone());
    let memory = budget
        .memory
        .clone()
        .acquire_many_owned(units)
        .await
        .map_err(|_| closed())?;
    let slot = budget
        .slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| closed())?;
    drop(waiting);
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancelled.clone());
    let counters = budget.counters.clone();
    let joined = tokio::task::spawn_blocking(move || {
        // The permits live as long as the job, even after its request is gone.
        let _permits = (memory, slot);
        counters.started.fetch_add(1, Ordering::SeqCst);
        let checkpoint = || {
            if cancelled.load(Ordering::SeqCst) {
                Err(ProcessError::internal("the client went away; job stopped"))
            } else {
                Ok(())
            }
        };
        let result = work
            .iter()
            .map(|(route, values)| {
                checkpoint()?;
                run_until(route, values, &input, &checkpoint)
            })
            .collect::<Result<Vec<_>, _>>();
        if cancelled.load(Ordering::SeqCst) && result.is_err() {
            counters.cancelled.fetch_add(1, Ordering::SeqCst);
        } else {
            counters.finished.fetch_add(1, Ordering::SeqCst);
        }
        result
    })
    .await;
    joined
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("processing failed: {e}")))?
}

/// A processing result.
#[derive(Clone, Debug)]
pub struct Produced {
    /// The answer's bytes.
    pub bytes: Vec<u8>,
    /// Its Content-Type.
    pub content_type: &'static str,
    /// Format name (`png`, `jpg`…) for UploadResult; `None` for documents.
    pub format: Option<&'static str>,
    /// Width in pixels (0 for documents).
    pub width: u32,
    /// Height in pixels (0 for documents).
    pub height: u32,
}

/// Runs `route` on `input`, stopping with `checkpoint`'s error between stages. CPU-bound:
/// call it off the async workers.
fn run_until(
    route: &Served,
    values: &ParamValues,
    input: &[u8],
    checkpoint: &dyn Fn() -> Result<(), ProcessError>,
) -> Result<Produced, ApiError> {
    let limits = ImageLimits::of(&route.spec.limits);
    // A document's base64 nodes hold the picture of an image stand-in when the operation
    // names one (drawn without an input, like `code`), else a stand-in of the input's size.
    let pictured = |spec: &'static OpSpec| match processors::stand_in(spec, values) {
        Ok(processors::StandIn::Xml | processors::StandIn::Json) => Ok(None),
        Ok(stand_in) => processors::process_until(stand_in, input, &limits, true, checkpoint)
            .map(|p| Some((p.info, cos_ci_validate::Base64Data::from_bytes(&p.bytes)))),
        Err(e) => Err(e),
    };
    let document = |answer: &dyn Fn(&processors::ImageInfo, Option<&str>) -> String,
                    content_type: &'static str| {
        let (info, picture) = match pictured(route.spec)? {
            Some((info, picture)) => (info, Some(picture)),
            None => {
                let info = processors::probe(input)?;
                processors::check_limits(input.len() as u64, &info, &limits)?;
                (info, None)
            }
        };
        Ok(Produced {
            bytes: answer(&info, picture.as_ref().map(|p| p.as_str())).into_bytes(),
            content_type,
            format: None,
            width: 0,
            height: 0,
        })
    };
    // The operation's own "nothing found" error, provoked by an image with nothing in it.
    if let (Serve::Generic, Some(code)) = (&route.serve, route.spec.processor.flat_image_error) {
        if let Some(e) = route.spec.error(code) {
            if processors::is_flat(input, &limits) {
                return Err(ApiError::custom(e.status, e.code, e.message));
            }
        }
    }
    let result = match &route.serve {
        Serve::Image => {
            let png = matches!(route.spec.output, Output::Image { png: true });
            processors::stand_in(route.spec, values)
                .and_then(|stand_in| {
                    processors::process_until(stand_in, input, &limits, png, checkpoint)
                })
                .map(|out| Produced {
                    bytes: out.bytes,
                    content_type: out.info.format.mime(),
                    format: Some(out.info.format.name()),
                    width: out.info.width,
                    height: out.info.height,
                })
        }
        Serve::Generic => {
            let words = |p: &str, w: &str| route.spec.asks(values, p, w);
            let request = Some(crate::generic::Request {
                values,
                input,
                limits: &limits,
            });
            match route.spec.output {
                Output::Xml { root, nodes } => document(
                    &|image, picture| {
                        crate::generic::answer_to(
                            root,
                            nodes,
                            &crate::generic::Fill {
                                image,
                                request,
                                words: &words,
                                picture,
                            },
                        )
                    },
                    "application/xml",
                ),
                Output::Json { nodes } => document(
                    &|image, picture| {
                        crate::generic::answer_json_to(
                            nodes,
                            &crate::generic::Fill {
                                image,
                                request,
                                words: &words,
                                picture,
                            },
                        )
                    },
                    "application/json",
                ),
                Output::Image { .. } => Err(ProcessError::internal(format!(
                    "{} answers an image; the generic stand-in writes documents",
                    route.spec.name
                ))),
            }
        }
        Serve::Custom(stand_in) => processors::check_input_len(input.len() as u64, &limits)
            .and_then(|()| {
                stand_in(StandInInput {
                    spec: route.spec,
                    input,
                    params: values,
                })
            })
            .map(|bytes| custom_answer(route, bytes)),
    };
    match result {
        Ok(produced) => Ok(produced),
        // A stopped job stays stopped; ignore-error is about the input.
        Err(e) if ignores_errors(route.spec, values) && checkpoint().is_ok() => {
            tracing::debug!(error = %e, "ignore-error=1: answering the original");
            Ok(original(input))
        }
        Err(e) => Err(e.into()),
    }
}

/// What a user's stand-in answered: an image (its format and size read from it), else a
/// document typed by the operation's output.
fn custom_answer(route: &Served, bytes: Vec<u8>) -> Produced {
    match processors::probe(&bytes) {
        Ok(info) => Produced {
            content_type: info.format.mime(),
            format: Some(info.format.name()),
            width: info.width,
            height: info.height,
            bytes,
        },
        Err(_) => Produced {
            bytes,
            content_type: match route.spec.output {
                Output::Xml { .. } => "application/xml",
                Output::Json { .. } => "application/json",
                Output::Image { .. } => "application/octet-stream",
            },
            format: None,
            width: 0,
            height: 0,
        },
    }
}

/// Whether the request set the operation's ignore-error flag.
pub fn ignores_errors(spec: &OpSpec, values: &ParamValues) -> bool {
    spec.ignore_error_param()
        .is_some_and(|p| values.flag(p.name) == Some(true))
}

/// The input as its own answer.
pub fn original(input: &[u8]) -> Produced {
    match processors::probe(input) {
        Ok(info) => Produced {
            bytes: input.to_vec(),
            content_type: info.format.mime(),
            format: Some(info.format.name()),
            width: info.width,
            height: info.height,
        },
        Err(_) => Produced {
            bytes: input.to_vec(),
            content_type: "application/octet-stream",
            format: None,
            width: 0,
            height: 0,
        },
    }
}
