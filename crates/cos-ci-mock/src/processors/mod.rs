//! The mock's image processing: honest, deterministic stand-ins for the CI operations.
//!
//! The AI is not emulated; each stand-in does real pixel work a test can assert on. Every input
//! is checked against the limits from its header before any pixel is decoded.
//!
//! A stand-in takes typed inputs ([`StandIn`], generated from `service.yaml` `processors`),
//! filled by [`stand_in`] from the request's checked parameters as the operation's spec maps
//! them: no parameter name, default or range is written here.

mod code;
mod codec;
mod colorize;
mod crop;
mod enhance;
mod error;
mod inputs;
mod jpeg;
mod limits;
mod matting;
mod picture;
mod probe;
mod quantize;
mod super_resolution;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use image::{DynamicImage, GenericImageView};

pub use crate::generated::processors::*;
pub use codec::JPEG_QUALITY;
pub use error::ProcessError;
pub use inputs::{Inputs, check_stand_in, fnv1a, stand_in};
pub(crate) use limits::check_input_len;
pub use limits::{ImageLimits, MAX_OUTPUT_PIXELS, check_limits};
pub use matting::{BACKGROUND_DISTANCE, SUBJECT_DISTANCE};
pub use picture::{base64_crop, base64_png};
pub use probe::{Format, ImageInfo, probe};

/// The result of a processor: encoded bytes and what they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The encoded output image.
    pub bytes: Vec<u8>,
    /// Format and dimensions of `bytes`.
    pub info: ImageInfo,
}

/// `xml` and `json` write documents (`crate::generic`), never pixels.
fn not_an_image(stand_in: StandIn) -> ProcessError {
    ProcessError::internal(format!(
        "the stand-in `{}` writes a document, not an image",
        stand_in.kind()
    ))
}

impl StandIn {
    /// Output size in u64, so huge inputs cannot overflow before `check_output` sees them.
    fn output_size(self, width: u32, height: u32) -> (u64, u64) {
        let (w, h) = (u64::from(width), u64::from(height));
        match self {
            StandIn::SuperResolution(SuperResolution { magnify }) => {
                (w * u64::from(magnify), h * u64::from(magnify))
            }
            StandIn::Matting(Matting {
                padding: (dx, dy), ..
            }) => (w + 2 * u64::from(dx), h + 2 * u64::from(dy)),
            StandIn::Crop(Crop {
                width: cw,
                height: ch,
                fixed,
            }) => crop::size(w, h, u64::from(cw), u64::from(ch), fixed),
            StandIn::Colorize
            | StandIn::Enhance(_)
            | StandIn::Passthrough
            | StandIn::Code(_)
            | StandIn::Xml
            | StandIn::Json => (w, h),
        }
    }

    /// Matting answers with alpha, which only PNG carries for every viewer.
    fn output_format(self, input: Format, force_png: bool) -> Format {
        match self {
            StandIn::Matting(_) => Format::Png,
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
            // Drawn without an input by `process_until`; as an image's processing it is a copy.
            StandIn::Passthrough | StandIn::Code(_) => Ok(img),
            StandIn::Xml | StandIn::Json => Err(not_an_image(self)),
            StandIn::Crop(_) => {
                let (x, y) = crop::origin(img.width(), img.height(), out_width, out_height);
                Ok(img.crop_imm(x, y, out_width, out_height))
            }
            StandIn::SuperResolution(_) => {
                super_resolution::upscale(&codec::to_canvas(img), out_width, out_height)
            }
            StandIn::Enhance(Enhance { denoise, sharpen }) => {
                let (w, h) = (img.width() as usize, img.height() as usize);
                let mut canvas = codec::to_canvas(img);
                let (buf, channels) = canvas_bytes(&mut canvas)?;
                enhance::enhance(buf, w, h, channels, denoise, sharpen);
                Ok(canvas)
            }
            StandIn::Colorize => {
                let mut canvas = codec::to_canvas(img);
                let (buf, channels) = canvas_bytes(&mut canvas)?;
                colorize::colorize(buf, channels);
                Ok(canvas)
            }
            StandIn::Matting(Matting {
                center,
                padding: (dx, dy),
            }) => {
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

/// Runs an image stand-in. `force_png`: the operation always answers PNG.
pub fn process(
    stand_in: StandIn,
    input: &[u8],
    limits: &ImageLimits,
    force_png: bool,
) -> Result<Processed, ProcessError> {
    process_until(stand_in, input, limits, force_png, &|| Ok(()))
}

/// [`process`], calling `checkpoint` between stages (before decoding, before the pixel work,
/// before encoding) and stopping with its error: how a job whose client left stops early.
pub fn process_until(
    stand_in: StandIn,
    input: &[u8],
    limits: &ImageLimits,
    force_png: bool,
    checkpoint: &dyn Fn() -> Result<(), ProcessError>,
) -> Result<Processed, ProcessError> {
    if matches!(stand_in, StandIn::Xml | StandIn::Json) {
        return Err(not_an_image(stand_in));
    }
    // A drawing stand-in reads no input.
    if let StandIn::Code(inputs) = stand_in {
        checkpoint()?;
        return code::draw(inputs, limits);
    }
    let input_len = u64::try_from(input.len()).unwrap_or(u64::MAX);
    limits::check_input_len(input_len, limits)?;
    let info = probe(input)?;
    check_limits(input_len, &info, limits)?;
    let format = stand_in.output_format(info.format, force_png);
    // From the header first, so an oversized output is refused before decoding.
    let (w, h) = stand_in.output_size(info.width, info.height);
    limits::check_output(w, h, format, limits)?;

    checkpoint()?;
    let img = codec::decode(input, &info, limits)?;
    let (w, h) = stand_in.output_size(img.width(), img.height());
    let (width, height) = limits::check_output(w, h, format, limits)?;
    checkpoint()?;
    let out = stand_in.run(img, width, height)?;
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

/// Whether `input` is an image of one flat colour: nothing in it for a detector to find. An
/// input that cannot be read is not flat (its processing reports why).
pub fn is_flat(input: &[u8], limits: &ImageLimits) -> bool {
    let Ok(info) = probe(input) else {
        return false;
    };
    if check_limits(input.len() as u64, &info, limits).is_err() {
        return false;
    }
    let Ok(img) = codec::decode(input, &info, limits) else {
        return false;
    };
    let rgba = img.to_rgba8();
    let mut pixels = rgba.pixels();
    match pixels.next() {
        Some(first) => pixels.all(|p| p == first),
        None => false,
    }
}

/// Bytes per decoded input pixel assumed by [`memory_estimate`]: 16-bit RGBA, the widest
/// layout the decoders produce, since the header alone does not say.
pub const DECODED_BYTES_PER_PIXEL: u64 = 8;
/// Bytes per pixel of the working canvas and the output (8-bit RGBA at most).
pub const CANVAS_BYTES_PER_PIXEL: u64 = 4;

/// Estimated peak memory of running `stand_in` on `input`, in bytes, from the image header
/// only: the decoded input, the working canvas and the output image. `None` when the header
/// cannot be read (processing then fails cheaply).
pub fn memory_estimate(stand_in: StandIn, input: &[u8]) -> Option<u64> {
    let info = probe(input).ok()?;
    let pixels = info.pixels();
    let (w, h) = stand_in.output_size(info.width, info.height);
    let out = w.saturating_mul(h);
    Some(
        pixels
            .saturating_mul(DECODED_BYTES_PER_PIXEL + CANVAS_BYTES_PER_PIXEL)
            .saturating_add(out.saturating_mul(CANVAS_BYTES_PER_PIXEL)),
    )
}
