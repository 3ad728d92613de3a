//! The mock's image processing: honest, deterministic stand-ins for the CI operations.
//!
//! The AI is not emulated; each stand-in does real pixel work a test can assert on. Every input
//! is checked against the limits from its header before any pixel is decoded.

mod codec;
mod colorize;
mod crop;
mod enhance;
mod error;
mod jpeg;
mod limits;
mod matting;
mod params;
mod probe;
mod quantize;
mod super_resolution;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use image::{DynamicImage, GenericImageView};

pub use codec::JPEG_QUALITY;
pub use enhance::{DEFAULT_STRENGTH, MAX_STRENGTH};
pub use error::ProcessError;
pub(crate) use limits::check_input_len;
pub use limits::{ImageLimits, MAX_OUTPUT_PIXELS, check_limits};
pub use matting::{BACKGROUND_DISTANCE, SUBJECT_DISTANCE};
pub use params::{NoParams, ParamSource};
pub use probe::{Format, ImageInfo, probe};
pub use super_resolution::{DEFAULT_MAGNIFY, MAX_MAGNIFY};

/// The processor names the spec may use (the generator checks spec files against this list).
pub const PROCESSORS: &[&str] = &[
    "colorize",
    "super-resolution",
    "enhance",
    "matting",
    "crop",
    "passthrough",
];

/// The result of a processor: encoded bytes and what they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The encoded output image.
    pub bytes: Vec<u8>,
    /// Format and dimensions of `bytes`.
    pub info: ImageInfo,
}

/// A processor with its parameters read and range-checked.
#[derive(Clone, Copy, Debug)]
enum Op {
    Colorize,
    SuperResolution {
        magnify: u32,
    },
    Enhance {
        denoise: u32,
        sharpen: u32,
    },
    Matting {
        center: bool,
        padding: (u32, u32),
    },
    Crop {
        width: u32,
        height: u32,
        fixed: bool,
    },
    Passthrough,
}

impl Op {
    fn parse(name: &str, params: &dyn ParamSource) -> Result<Op, ProcessError> {
        use params::int_in;
        Ok(match name {
            "colorize" => Op::Colorize,
            "super-resolution" => Op::SuperResolution {
                magnify: int_in(params, "magnify", DEFAULT_MAGNIFY, 1..=MAX_MAGNIFY)?,
            },
            "enhance" => Op::Enhance {
                denoise: int_in(params, "denoise", DEFAULT_STRENGTH, 0..=MAX_STRENGTH)?,
                sharpen: int_in(params, "sharpen", DEFAULT_STRENGTH, 0..=MAX_STRENGTH)?,
            },
            "matting" => Op::Matting {
                center: params.flag("center-layout").unwrap_or(false),
                padding: params.pair("padding-layout").unwrap_or((0, 0)),
            },
            "crop" => Op::Crop {
                width: int_in(params, "width", 1, 1..=u32::MAX)?,
                height: int_in(params, "height", 1, 1..=u32::MAX)?,
                fixed: params.flag("fixed").unwrap_or(false),
            },
            "passthrough" => Op::Passthrough,
            other => {
                return Err(ProcessError::invalid_argument(format!(
                    "unknown processor {other:?}; known: {}",
                    PROCESSORS.join(", ")
                )));
            }
        })
    }

    /// Output size in u64, so huge inputs cannot overflow before `check_output` sees them.
    fn output_size(self, width: u32, height: u32) -> (u64, u64) {
        let (w, h) = (u64::from(width), u64::from(height));
        match self {
            Op::SuperResolution { magnify } => (w * u64::from(magnify), h * u64::from(magnify)),
            Op::Matting {
                padding: (dx, dy), ..
            } => (w + 2 * u64::from(dx), h + 2 * u64::from(dy)),
            Op::Crop {
                width: cw,
                height: ch,
                fixed,
            } => crop::size(w, h, u64::from(cw), u64::from(ch), fixed),
            Op::Colorize | Op::Enhance { .. } | Op::Passthrough => (w, h),
        }
    }

    /// Matting answers with alpha, which only PNG carries for every viewer.
    fn output_format(self, input: Format, force_png: bool) -> Format {
        match self {
            Op::Matting { .. } => Format::Png,
            _ if force_png => Format::Png,
            _ => input,
        }
    }

    fn run(
        self,
        img: DynamicImage,
        out_width: u32,
        out_height: u32,
    ) -> Result<DynamicImage, ProcessError> {
        match self {
            Op::Passthrough => Ok(img),
            Op::Crop { .. } => {
                let (x, y) = crop::origin(img.width(), img.height(), out_width, out_height);
                Ok(img.crop_imm(x, y, out_width, out_height))
            }
            Op::SuperResolution { .. } => {
                super_resolution::upscale(&codec::to_canvas(img), out_width, out_height)
            }
            Op::Enhance { denoise, sharpen } => {
                let (w, h) = (img.width() as usize, img.height() as usize);
                let mut canvas = codec::to_canvas(img);
                let (buf, channels) = canvas_bytes(&mut canvas)?;
                enhance::enhance(buf, w, h, channels, denoise, sharpen);
                Ok(canvas)
            }
            Op::Colorize => {
                let mut canvas = codec::to_canvas(img);
                let (buf, channels) = canvas_bytes(&mut canvas)?;
                colorize::colorize(buf, channels);
                Ok(canvas)
            }
            Op::Matting {
                center,
                padding: (dx, dy),
            } => {
                let mut rgba = img.into_rgba8();
                matting::matte(&mut rgba);
                if center {
                    rgba = matting::center(&rgba);
                }
                if (dx, dy) != (0, 0) {
                    rgba = matting::pad(&rgba, out_width, out_height, dx, dy);
                }
                Ok(DynamicImage::ImageRgba8(rgba))
            }
        }
    }
}

/// The interleaved bytes and channel count of a canvas from `codec::to_canvas`.
fn canvas_bytes(img: &mut DynamicImage) -> Result<(&mut [u8], usize), ProcessError> {
    match img {
        DynamicImage::ImageRgb8(b) => Ok((&mut **b, 3)),
        DynamicImage::ImageRgba8(b) => Ok((&mut **b, 4)),
        other => Err(ProcessError::internal(format!(
            "unexpected canvas {:?}",
            other.color()
        ))),
    }
}

/// Runs a named stand-in. `force_png`: the operation always answers PNG.
pub fn process(
    processor: &str,
    input: &[u8],
    params: &dyn ParamSource,
    limits: &ImageLimits,
    force_png: bool,
) -> Result<Processed, ProcessError> {
    process_until(processor, input, params, limits, force_png, &|| Ok(()))
}

/// [`process`], calling `checkpoint` between stages (before decoding, before the pixel work,
/// before encoding) and stopping with its error: how a job whose client left stops early.
pub fn process_until(
    processor: &str,
    input: &[u8],
    params: &dyn ParamSource,
    limits: &ImageLimits,
    force_png: bool,
    checkpoint: &dyn Fn() -> Result<(), ProcessError>,
) -> Result<Processed, ProcessError> {
    let op = Op::parse(processor, params)?;
    let input_len = u64::try_from(input.len()).unwrap_or(u64::MAX);
    limits::check_input_len(input_len, limits)?;
    let info = probe(input)?;
    check_limits(input_len, &info, limits)?;
    let format = op.output_format(info.format, force_png);
    // From the header first, so an oversized output is refused before decoding.
    let (w, h) = op.output_size(info.width, info.height);
    limits::check_output(w, h, format, limits)?;

    checkpoint()?;
    let img = codec::decode(input, &info, limits)?;
    let (w, h) = op.output_size(img.width(), img.height());
    let (width, height) = limits::check_output(w, h, format, limits)?;
    checkpoint()?;
    let out = op.run(img, width, height)?;
    checkpoint()?;
    let bytes = codec::encode(&out, format)?;
    let (width, height) = out.dimensions();
    Ok(Processed {
        bytes,
        info: ImageInfo {
            format,
            width,
            height,
        },
    })
}

/// Bytes per decoded input pixel assumed by [`memory_estimate`]: 16-bit RGBA, the widest
/// layout the decoders produce, since the header alone does not say.
pub const DECODED_BYTES_PER_PIXEL: u64 = 8;
/// Bytes per pixel of the working canvas and the output (8-bit RGBA at most).
pub const CANVAS_BYTES_PER_PIXEL: u64 = 4;

/// Estimated peak memory of running `processor` on `input`, in bytes, from the image
/// header only: the decoded input, the working canvas and the output image. `None` when the
/// header cannot be read or the parameters are invalid (processing then fails cheaply).
pub fn memory_estimate(processor: &str, input: &[u8], params: &dyn ParamSource) -> Option<u64> {
    let op = Op::parse(processor, params).ok()?;
    let info = probe(input).ok()?;
    let pixels = info.pixels();
    let (w, h) = op.output_size(info.width, info.height);
    let out = w.saturating_mul(h);
    Some(
        pixels
            .saturating_mul(DECODED_BYTES_PER_PIXEL + CANVAS_BYTES_PER_PIXEL)
            .saturating_add(out.saturating_mul(CANVAS_BYTES_PER_PIXEL)),
    )
}
