//! "super-resolution": a Catmull-Rom upscale by an integer factor.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::ProcessError;

/// Default `magnify` when the request names none.
pub const DEFAULT_MAGNIFY: u32 = 2;
/// Largest `magnify` the stand-in accepts (the API itself allows 2 and 4).
pub const MAX_MAGNIFY: u32 = 8;

/// Resamples an RGB8 / RGBA8 canvas to exactly `width` x `height` (sizes checked by the caller).
pub(crate) fn upscale(
    src: &DynamicImage,
    width: u32,
    height: u32,
) -> Result<DynamicImage, ProcessError> {
    let mut dst = DynamicImage::new(width, height, src.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new()
        .resize(src, &mut dst, &options)
        .map_err(|e| ProcessError::internal(format!("resize failed: {e}")))?;
    Ok(dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, Rgb, RgbImage};

    #[test]
    fn a_uniform_image_stays_uniform() {
        let src = DynamicImage::ImageRgb8(RgbImage::from_pixel(5, 3, Rgb([10, 200, 30])));
        let out = upscale(&src, 20, 12).unwrap();
        assert_eq!(out.dimensions(), (20, 12));
        assert!(out.to_rgb8().pixels().all(|p| *p == Rgb([10, 200, 30])));
    }
}
