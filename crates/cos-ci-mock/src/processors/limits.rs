//! Size limits: on the input (from the header, before decoding) and on what a processor produces.

use super::{Format, ImageInfo, ProcessError};

/// The input limits of one operation (bytes and header dimensions).
#[derive(Clone, Copy, Debug)]
pub struct ImageLimits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: u64,
    /// Largest accepted width, in pixels.
    pub max_width: u32,
    /// Largest accepted height, in pixels.
    pub max_height: u32,
    /// Largest accepted width x height.
    pub max_pixels: u64,
}

impl ImageLimits {
    /// An operation's input limits.
    pub fn of(limits: &cos_ci_validate::Limits) -> ImageLimits {
        ImageLimits {
            max_input_bytes: limits.max_input_bytes,
            max_width: limits.max_width,
            max_height: limits.max_height,
            max_pixels: limits.max_pixels,
        }
    }
}

/// Outputs may grow past the input limits (x4 super-resolution of a full-size input is ~33 M
/// pixels), but never past this many pixels or the input's own pixel limit, whichever is larger.
pub const MAX_OUTPUT_PIXELS: u64 = 1 << 26;

/// Input size and header dimensions against the limits (ImageTooLarge / ImageResolutionExceed).
pub fn check_limits(
    input_len: u64,
    info: &ImageInfo,
    limits: &ImageLimits,
) -> Result<(), ProcessError> {
    check_input_len(input_len, limits)?;
    if info.width > limits.max_width
        || info.height > limits.max_height
        || info.pixels() > limits.max_pixels
    {
        return Err(ProcessError::resolution(format!(
            "image is {}x{}; the limit is {}x{} and {} pixels",
            info.width, info.height, limits.max_width, limits.max_height, limits.max_pixels
        )));
    }
    Ok(())
}

/// Input size alone, so an oversized body is refused before its header is even parsed.
pub(crate) fn check_input_len(input_len: u64, limits: &ImageLimits) -> Result<(), ProcessError> {
    if input_len > limits.max_input_bytes {
        return Err(ProcessError::too_large(format!(
            "image is {input_len} bytes; the limit is {} bytes",
            limits.max_input_bytes
        )));
    }
    Ok(())
}

/// The decoder's own limits, a second line of defence should a header understate the real size.
pub(crate) fn decoder_limits(limits: &ImageLimits) -> image::Limits {
    // 8 bytes per pixel covers 16-bit RGBA; the slack covers decoder bookkeeping.
    const SLACK: u64 = 16 << 20;
    let mut decoder = image::Limits::default();
    decoder.max_image_width = Some(limits.max_width);
    decoder.max_image_height = Some(limits.max_height);
    decoder.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(SLACK));
    decoder
}

/// The widest / tallest image each encoder can write.
fn max_side(format: Format) -> u64 {
    match format {
        Format::Jpeg | Format::Gif => u64::from(u16::MAX),
        Format::Webp => 16_384,
        Format::Png | Format::Bmp => u64::from(i32::MAX.unsigned_abs()),
    }
}

/// Checks an output size (given as u64 so callers can compute it without overflow) before any
/// allocation, and returns it as u32. An empty output (an input of 0, e.g. magnify 0 of an
/// operation whose spec allows it) is no image at all: an invalid argument.
pub(crate) fn check_output(
    width: u64,
    height: u64,
    format: Format,
    limits: &ImageLimits,
) -> Result<(u32, u32), ProcessError> {
    if width == 0 || height == 0 {
        return Err(ProcessError::invalid_argument(format!(
            "the output would be {width}x{height}, an empty image"
        )));
    }
    let side = max_side(format);
    let budget = limits.max_pixels.max(MAX_OUTPUT_PIXELS);
    let pixels = width.checked_mul(height);
    let ok = width <= side && height <= side && pixels.is_some_and(|p| p <= budget);
    match (ok, u32::try_from(width), u32::try_from(height)) {
        (true, Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(ProcessError::resolution(format!(
            "output would be {width}x{height}; {} allows at most {side} per side and {budget} pixels",
            format.name()
        ))),
    }
}
