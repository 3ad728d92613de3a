//! Reading processor parameters, with defaults and a defensive range check.

use std::ops::RangeInclusive;

use super::ProcessError;

/// Where a processor reads its (already validated) parameters. Missing = use the default.
pub trait ParamSource {
    /// An integer parameter, e.g. `magnify`.
    fn int(&self, name: &str) -> Option<i64>;
    /// A 0/1 flag parameter, e.g. `center-layout`.
    fn flag(&self, name: &str) -> Option<bool>;
    /// A `<a>x<b>` pair parameter, e.g. `padding-layout`.
    fn pair(&self, name: &str) -> Option<(u32, u32)>;
}

/// A `ParamSource` with no parameters at all: every processor runs on its defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoParams;

impl ParamSource for NoParams {
    fn int(&self, _name: &str) -> Option<i64> {
        None
    }
    fn flag(&self, _name: &str) -> Option<bool> {
        None
    }
    fn pair(&self, _name: &str) -> Option<(u32, u32)> {
        None
    }
}

/// Reads an integer parameter; the server validated it, but a processor must not trust that
/// blindly, since an out-of-range value could mean a huge allocation.
pub(crate) fn int_in(
    params: &dyn ParamSource,
    name: &str,
    default: u32,
    range: RangeInclusive<u32>,
) -> Result<u32, ProcessError> {
    let Some(value) = params.int(name) else {
        return Ok(default);
    };
    u32::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            ProcessError::invalid_argument(format!(
                "{name}={value} is out of range {}..={}",
                range.start(),
                range.end()
            ))
        })
}
