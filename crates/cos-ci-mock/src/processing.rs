//! Running an operation's stand-in on input bytes, as all three modes do.

use cos_ci_validate::{Output, ParamValues};

use crate::error::ApiError;
use crate::processors::{self, ImageLimits, ParamSource};
use crate::route::{Answer, Route};

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

impl ParamSource for ParamValues {
    fn int(&self, name: &str) -> Option<i64> {
        ParamValues::int(self, name)
    }
    fn flag(&self, name: &str) -> Option<bool> {
        ParamValues::flag(self, name)
    }
    fn pair(&self, name: &str) -> Option<(u32, u32)> {
        ParamValues::pair(self, name)
    }
}

/// Runs `route` on `input`. CPU-bound: call it off the async workers.
pub fn run(route: &Route, values: &ParamValues, input: &[u8]) -> Result<Produced, ApiError> {
    let l = route.spec.limits;
    let limits = ImageLimits {
        max_input_bytes: l.max_input_bytes,
        max_width: l.max_width,
        max_height: l.max_height,
        max_pixels: l.max_pixels,
    };
    let result = match route.answer {
        Answer::Image => {
            let png = matches!(route.spec.output, Output::Image { png: true });
            processors::process(route.spec.processor, input, values, &limits, png).map(|out| {
                Produced {
                    bytes: out.bytes,
                    content_type: out.info.format.mime(),
                    format: Some(out.info.format.name()),
                    width: out.info.width,
                    height: out.info.height,
                }
            })
        }
        Answer::Xml(answer) => processors::probe(input).and_then(|info| {
            processors::check_limits(input.len() as u64, &info, &limits)?;
            Ok(Produced {
                bytes: answer(&info).into_bytes(),
                content_type: "application/xml",
                format: None,
                width: 0,
                height: 0,
            })
        }),
    };
    match result {
        Ok(produced) => Ok(produced),
        Err(e) if ignores_errors(route, values) => {
            tracing::debug!(error = %e, "ignore-error=1: answering the original");
            Ok(original(input))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the request set the operation's ignore-error flag.
pub fn ignores_errors(route: &Route, values: &ParamValues) -> bool {
    route
        .spec
        .ignore_error_param()
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
