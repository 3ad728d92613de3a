//! Decoding (with limits) and encoding in each supported format.

use std::borrow::Cow;
use std::io::Cursor;

use image::codecs::{
    bmp::BmpEncoder, gif::GifEncoder, jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder,
};
use image::{ColorType, DynamicImage, ImageError, ImageReader};

use super::limits::decoder_limits;
use super::{Format, ImageInfo, ImageLimits, ProcessError};
use super::{jpeg, quantize};

/// JPEG output quality: fixed so the same input always gives the same bytes.
pub const JPEG_QUALITY: u8 = 90;

/// GIF quantiser speed (1..=30). `quantize` keeps every frame within 256 colours, so the gif
/// crate always takes its exact-palette path and this only matters as a fallback.
const GIF_SPEED: i32 = 10;

/// Decodes the pixels of an image already probed as `info` (first frame of an animation).
pub(crate) fn decode(
    bytes: &[u8],
    info: &ImageInfo,
    limits: &ImageLimits,
) -> Result<DynamicImage, ProcessError> {
    if info.format == Format::Jpeg && !jpeg::is_complete(bytes) {
        return Err(ProcessError::invalid_format(
            "jpg data ends before its end-of-image marker",
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), info.format.image_format());
    reader.limits(decoder_limits(limits));
    reader.decode().map_err(|e| match e {
        ImageError::Limits(l) => ProcessError::resolution(format!("decoder limit: {l}")),
        other => ProcessError::invalid_format(format!(
            "cannot decode {} image: {other}",
            info.format.name()
        )),
    })
}

/// 8-bit RGB, or RGBA when the image has alpha: the two layouts the processors work on.
pub(crate) fn to_canvas(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

/// Converts to a colour type the format's encoder accepts, borrowing when it already does.
fn compatible(img: &DynamicImage, format: Format) -> Cow<'_, DynamicImage> {
    let color = img.color();
    let eight_bit = matches!(
        color,
        ColorType::L8 | ColorType::La8 | ColorType::Rgb8 | ColorType::Rgba8
    );
    let canvas = || Cow::Owned(to_canvas(img.clone()));
    match format {
        Format::Png if matches!(color, ColorType::Rgb32F | ColorType::Rgba32F) => canvas(),
        Format::Png => Cow::Borrowed(img),
        // JPEG has no alpha channel; grey stays grey so a greyscale JPEG round-trips.
        Format::Jpeg => match color {
            ColorType::L8 | ColorType::Rgb8 => Cow::Borrowed(img),
            ColorType::L16 | ColorType::La8 | ColorType::La16 => {
                Cow::Owned(DynamicImage::ImageLuma8(img.to_luma8()))
            }
            _ => Cow::Owned(DynamicImage::ImageRgb8(img.to_rgb8())),
        },
        Format::Gif => {
            let mut rgba = img.to_rgba8();
            if quantize::too_many_colours(&rgba) {
                quantize::snap_to_cube(&mut rgba);
            }
            Cow::Owned(DynamicImage::ImageRgba8(rgba))
        }
        Format::Webp | Format::Bmp if eight_bit => Cow::Borrowed(img),
        Format::Webp | Format::Bmp => canvas(),
    }
}

/// Encodes `img` as `format`.
pub(crate) fn encode(img: &DynamicImage, format: Format) -> Result<Vec<u8>, ProcessError> {
    let img = compatible(img, format);
    let mut out = Vec::new();
    let result = match format {
        Format::Png => img.write_with_encoder(PngEncoder::new(&mut out)),
        Format::Jpeg => {
            img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        Format::Gif => img.write_with_encoder(GifEncoder::new_with_speed(&mut out, GIF_SPEED)),
        Format::Webp => img.write_with_encoder(WebPEncoder::new_lossless(&mut out)),
        Format::Bmp => img.write_with_encoder(BmpEncoder::new(&mut out)),
    };
    result.map_err(|e| ProcessError::internal(format!("cannot encode {}: {e}", format.name())))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::probe;
    use super::*;
    use image::{GenericImageView, Rgba, RgbaImage};

    const LIMITS: ImageLimits = ImageLimits {
        max_input_bytes: 1 << 20,
        max_width: 1000,
        max_height: 1000,
        max_pixels: 1_000_000,
    };

    #[test]
    fn every_format_round_trips_through_encode_probe_decode() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(7, 5, |x, y| {
            Rgba([(x * 30) as u8, (y * 40) as u8, 99, 255])
        }));
        for format in Format::ALL {
            let bytes = encode(&img, format).unwrap();
            let info = probe(&bytes).unwrap();
            assert_eq!((info.format, info.width, info.height), (format, 7, 5));
            let back = decode(&bytes, &info, &LIMITS).unwrap();
            assert_eq!(back.dimensions(), (7, 5));
            if format != Format::Jpeg {
                // Every format but JPEG is lossless here (GIF: fewer than 256 colours).
                assert_eq!(back.to_rgba8(), img.to_rgba8(), "{format:?}");
            }
        }
    }

    #[test]
    fn decoder_limits_are_a_second_line_of_defence() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(50, 50));
        let bytes = encode(&img, Format::Png).unwrap();
        let info = probe(&bytes).unwrap();
        let tight = ImageLimits {
            max_width: 10,
            ..LIMITS
        };
        let err = decode(&bytes, &info, &tight).unwrap_err();
        assert_eq!(err.code, ProcessError::IMAGE_RESOLUTION_EXCEED);
    }
}
