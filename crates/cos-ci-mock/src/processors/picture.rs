//! The stand-in image an answer carries as base64 (`type: base64` nodes: a QR code, a face
//! effect's result): a real PNG a client can decode, made from the input's size alone so the
//! answer stays a function of the input's header like every other generated answer.

use cos_ci_validate::Base64Data;
use image::{DynamicImage, RgbImage};

use super::{Format, ImageInfo, codec};

/// The longest side of the stand-in image, so answers stay small whatever the input.
pub const MAX_SIDE: u32 = 64;

/// A PNG of the input's size capped to [`MAX_SIDE`] per side (at least 1×1), a deterministic
/// gradient, in standard base64.
pub fn base64_png(image: &ImageInfo) -> Base64Data {
    let (w, h) = (
        image.width.clamp(1, MAX_SIDE),
        image.height.clamp(1, MAX_SIDE),
    );
    let img = RgbImage::from_fn(w, h, |x, y| {
        // Both coordinates are below MAX_SIDE (64), so 4 × each fits in a byte.
        let (x, y) = (
            u8::try_from(x * 4).unwrap_or(u8::MAX),
            u8::try_from(y * 4).unwrap_or(u8::MAX),
        );
        image::Rgb([x, y, x ^ y])
    });
    // Encoding a small RGB buffer to memory does not fail; an empty text would only make the
    // client's decode report it.
    let bytes = codec::encode(&DynamicImage::ImageRgb8(img), Format::Png).unwrap_or_default();
    Base64Data::from_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_is_a_png_of_the_capped_input_size() {
        for (width, height, want) in [(1, 1, (1, 1)), (640, 20, (64, 20)), (33, 7001, (33, 64))] {
            let info = ImageInfo {
                format: Format::Jpeg,
                width,
                height,
            };
            let bytes = base64_png(&info).decode().expect("base64");
            let read = super::super::probe(&bytes).expect("an image");
            assert_eq!(read.format, Format::Png);
            assert_eq!((read.width, read.height), want, "{width}x{height}");
        }
    }
}
