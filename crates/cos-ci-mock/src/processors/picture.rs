//! The stand-in image an answer carries as base64 (`type: base64` nodes: a QR code, a face
//! effect's result): a real PNG a client can decode, made from the input's size alone so the
//! answer stays a function of the input's header like every other generated answer.

use cos_ci_validate::Base64Data;
use image::{DynamicImage, RgbImage};

use super::{Format, ImageInfo, ImageLimits, ProcessError, codec, probe};

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

/// The crop `[left, top, width, height]` (percent of each side, each side at least one
/// pixel) of `input`, as PNG in standard base64: what a node with a `crop` answers.
pub fn base64_crop(
    input: &[u8],
    limits: &ImageLimits,
    [left, top, width, height]: [u8; 4],
) -> Result<Base64Data, ProcessError> {
    let info = probe(input)?;
    let img = codec::decode(input, &info, limits)?;
    let (w, h) = (u64::from(img.width()), u64::from(img.height()));
    // Percentages of u32 sides stay within u32; `min` keeps the crop inside the image.
    let part = |side: u64, pct: u8| u32::try_from(side * u64::from(pct) / 100).unwrap_or(0);
    let (x, y) = (part(w, left), part(h, top));
    let cw = part(w, width)
        .max(1)
        .min(img.width().saturating_sub(x).max(1));
    let ch = part(h, height)
        .max(1)
        .min(img.height().saturating_sub(y).max(1));
    let (x, y) = (
        x.min(img.width().saturating_sub(1)),
        y.min(img.height().saturating_sub(1)),
    );
    let crop = img.crop_imm(x, y, cw, ch);
    Ok(Base64Data::from_bytes(&codec::encode(&crop, Format::Png)?))
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

    #[test]
    fn a_crop_holds_the_input_pixels_of_its_area() {
        let img = RgbImage::from_fn(40, 20, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let png = codec::encode(&DynamicImage::ImageRgb8(img), Format::Png).expect("png");
        let limits = ImageLimits {
            max_input_bytes: 1 << 20,
            max_width: 100,
            max_height: 100,
            max_pixels: 10_000,
        };
        let crop = base64_crop(&png, &limits, [50, 25, 50, 50]).expect("crop");
        let bytes = crop.decode().expect("base64");
        let out = image::load_from_memory(&bytes).expect("png").to_rgb8();
        assert_eq!(out.dimensions(), (20, 10));
        assert_eq!(out.get_pixel(0, 0).0, [20, 5, 7]);
        assert_eq!(out.get_pixel(19, 9).0, [39, 14, 7]);
        assert!(base64_crop(b"not an image", &limits, [0, 0, 100, 100]).is_err());
    }
}
