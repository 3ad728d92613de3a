//! Palette reduction for GIF output. The gif crate writes images of at most 256 colours with an
//! exact palette, but falls back to NeuQuant above that, which costs seconds on a 16 Mpixel
//! frame; snapping to a fixed 6x7x6 colour cube instead is O(pixels) and deterministic.

use image::RgbaImage;

/// Levels per channel of the colour cube: 6 * 7 * 6 = 252 colours, plus one transparent.
const LEVELS: [u32; 3] = [6, 7, 6];

/// True when the opaque pixels use more than 256 - 1 distinct RGB values (one palette entry is
/// kept for transparency). A 2^24-bit set makes this one pass with no hashing.
pub(crate) fn too_many_colours(img: &RgbaImage) -> bool {
    let mut seen = vec![0u64; (1 << 24) / 64];
    let mut distinct = 0usize;
    for px in img.pixels() {
        let [r, g, b, a] = px.0;
        if a == 0 {
            continue;
        }
        let key = (usize::from(r) << 16) | (usize::from(g) << 8) | usize::from(b);
        if let Some(word) = seen.get_mut(key / 64) {
            let bit = 1u64 << (key % 64);
            if *word & bit == 0 {
                *word |= bit;
                distinct += 1;
                if distinct > 255 {
                    return true;
                }
            }
        }
    }
    false
}

/// Snaps every channel to the nearest level of the colour cube; alpha is left for the encoder.
pub(crate) fn snap_to_cube(img: &mut RgbaImage) {
    let luts = LEVELS.map(|n| {
        let top = n - 1;
        std::array::from_fn::<u8, 256, _>(|v| {
            let level = (v as u32 * top + 127) / 255;
            ((level * 255 + top / 2) / top) as u8
        })
    });
    for px in img.pixels_mut() {
        for (c, lut) in px.0.iter_mut().zip(&luts) {
            *c = lut[usize::from(*c)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn few_colours_are_left_alone_and_many_are_detected() {
        let few = RgbaImage::from_fn(64, 64, |x, _| Rgba([x as u8, 0, 0, 255]));
        assert!(!too_many_colours(&few));
        let many = RgbaImage::from_fn(64, 64, |x, y| Rgba([x as u8, y as u8, 0, 255]));
        assert!(too_many_colours(&many));
    }

    #[test]
    fn the_cube_has_at_most_252_colours_and_keeps_the_extremes() {
        let mut img = RgbaImage::from_fn(256, 256, |x, y| {
            Rgba([x as u8, y as u8, (x ^ y) as u8, 255])
        });
        snap_to_cube(&mut img);
        assert!(!too_many_colours(&img));
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0, 255]);
        assert_eq!(img.get_pixel(255, 255).0, [255, 255, 0, 255]);
    }
}
