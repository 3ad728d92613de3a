//! "super-resolution": a Catmull-Rom upscale by an integer factor.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::ProcessError;

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

/// The stand-in as the server runs it: through `process`, from encoded bytes.
#[cfg(test)]
mod via_process {
    use image::{DynamicImage, GenericImageView};

    use super::super::test_support::*;
    use super::super::*;

    #[test]
    fn super_resolution_scales_odd_sizes_exactly() {
        for (w, h) in [(7, 5), (13, 9), (1, 1), (31, 2)] {
            let png = encode(&DynamicImage::ImageRgb8(noisy_rgb(w, h)), Format::Png);
            for m in [2, 4] {
                let out = run(magnify(m), &png);
                assert_eq!((out.info.width, out.info.height), (w * m, h * m));
                assert_eq!(decode(&out.bytes).dimensions(), (w * m, h * m));
                assert_eq!(out.info.format, Format::Png);
            }
        }
    }

    #[test]
    fn super_resolution_x2_keeps_the_format() {
        let img = DynamicImage::ImageRgb8(noisy_rgb(9, 7));
        for format in Format::ALL {
            let out = run(magnify(2), &encode(&img, format));
            assert_eq!(
                out.info,
                ImageInfo {
                    format,
                    width: 18,
                    height: 14
                }
            );
        }
    }

    #[test]
    fn super_resolution_refuses_an_oversized_output_from_the_header() {
        // 9000 x 8000 is inside these limits; x2 would be 288 M pixels. The IDAT is junk, so only a
        // check made before decoding can answer ImageResolutionExceed.
        let limits = ImageLimits {
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: 100_000_000,
            ..LIMITS
        };
        let e = err(magnify(2), &png_header_only(9000, 8000), &limits);
        assert_eq!(e.code, ProcessError::IMAGE_RESOLUTION_EXCEED, "{e}");
    }
}
