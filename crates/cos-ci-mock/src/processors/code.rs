//! The `code` stand-in: a code-like picture drawn from a text alone, with no input image (a
//! generated QR code or barcode). Not a readable code: a deterministic grid of dark and light
//! modules, seeded by the text's digest and framed by the three finder squares of a QR code,
//! so a test can tell two texts' pictures apart and check the size it asked for.

use image::{DynamicImage, GrayImage, Luma};

use super::{Code, Format, ImageInfo, ImageLimits, ProcessError, Processed, codec, limits};

/// Modules per side of the grid (a version-1 QR code's 21) plus a quiet zone of 2 each side.
const MODULES: u32 = 21;
const QUIET: u32 = 2;
const SIDE: u32 = MODULES + 2 * QUIET;

/// Draws `inputs.size` × `inputs.size` pixels from `inputs.content` (the text's digest).
pub fn draw(inputs: Code, limits: &ImageLimits) -> Result<Processed, ProcessError> {
    if inputs.size == 0 {
        return Err(ProcessError::invalid_argument(
            "a code image needs a size of at least 1 pixel",
        ));
    }
    let size = u64::from(inputs.size);
    let (width, height) = limits::check_output(size, size, Format::Png, limits)?;
    let img = GrayImage::from_fn(width, height, |x, y| {
        // Each pixel shows the module it falls in; the arithmetic stays in u64.
        let mx = u64::from(x) * u64::from(SIDE) / u64::from(width);
        let my = u64::from(y) * u64::from(SIDE) / u64::from(height);
        let dark = module(inputs.content, mx as u32, my as u32);
        Luma([if dark { 0 } else { 255 }])
    });
    let bytes = codec::encode(&DynamicImage::ImageLuma8(img), Format::Png)?;
    Ok(Processed {
        bytes,
        info: ImageInfo {
            format: Format::Png,
            width,
            height,
        },
    })
}

/// Whether the module at grid position (`x`, `y`) (quiet zone included) is dark.
fn module(seed: u64, x: u32, y: u32) -> bool {
    let (Some(x), Some(y)) = (x.checked_sub(QUIET), y.checked_sub(QUIET)) else {
        return false;
    };
    if x >= MODULES || y >= MODULES {
        return false;
    }
    // The finder squares (7×7 rings with a 3×3 core) in three corners.
    for (fx, fy) in [(0, 0), (MODULES - 7, 0), (0, MODULES - 7)] {
        if (fx..fx + 7).contains(&x) && (fy..fy + 7).contains(&y) {
            let (dx, dy) = (x - fx, y - fy);
            let ring = dx == 0 || dy == 0 || dx == 6 || dy == 6;
            let core = (2..=4).contains(&dx) && (2..=4).contains(&dy);
            return ring || core;
        }
    }
    // Data modules: one bit of a splitmix64 of the seed and the position.
    let mut z = seed
        ^ (u64::from(y) * u64::from(MODULES) + u64::from(x)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::{inputs::fnv1a, probe};

    fn limits() -> ImageLimits {
        ImageLimits {
            max_input_bytes: u64::MAX,
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: 100_000_000,
        }
    }

    fn pixels(text: &str, size: u32) -> Vec<u8> {
        let out = draw(
            Code {
                size,
                content: fnv1a(text),
            },
            &limits(),
        )
        .expect("drawn");
        let info = probe(&out.bytes).expect("a PNG");
        assert_eq!(
            (info.format, info.width, info.height),
            (Format::Png, size, size)
        );
        image::load_from_memory(&out.bytes)
            .expect("decodes")
            .to_luma8()
            .into_raw()
    }

    #[test]
    fn the_picture_has_the_size_asked_for_and_depends_on_the_text() {
        let a = pixels("https://www.example.com", 200);
        assert_eq!(a, pixels("https://www.example.com", 200), "deterministic");
        assert_ne!(a, pixels("https://www.example.org", 200), "another text");
        let dark = a.iter().filter(|&&p| p == 0).count();
        assert!(
            dark > 200 * 200 / 5 && dark < 200 * 200 * 4 / 5,
            "{dark} dark pixels"
        );
        // The quiet zone is light: the top-left pixel, and the finder's corner dark.
        assert_eq!(a[0], 255);
        let at = |x: u32, y: u32| a[(y * 200 + x) as usize];
        let module = 200 / SIDE;
        assert_eq!(at(QUIET * module + 1 + module / 2, QUIET * module + 1), 0);
    }

    #[test]
    fn a_size_of_zero_or_over_the_limits_is_refused() {
        let code = |size| Code { size, content: 1 };
        assert!(draw(code(0), &limits()).is_err());
        assert!(draw(code(20_000), &limits()).is_err());
    }
}
