//! "colorize": luminance mapped through a fixed gradient palette.

/// Gradient stops (luminance, RGB): indigo -> magenta -> orange -> pale yellow. No stop is grey,
/// and neither is any blend of neighbours, so every grey input comes out visibly coloured.
const STOPS: [(u8, [u8; 3]); 4] = [
    (0, [30, 10, 70]),
    (85, [150, 30, 120]),
    (170, [240, 130, 40]),
    (255, [255, 245, 160]),
];

/// The 256-entry palette, interpolated linearly between the stops.
pub(crate) fn palette() -> [[u8; 3]; 256] {
    let mut lut = [[0u8; 3]; 256];
    for pair in STOPS.windows(2) {
        let [(l0, c0), (l1, c1)] = [pair[0], pair[1]];
        let span = u32::from(l1 - l0);
        for l in l0..=l1 {
            let t = u32::from(l - l0);
            let mut rgb = [0u8; 3];
            for ((out, &a), &b) in rgb.iter_mut().zip(&c0).zip(&c1) {
                *out = ((u32::from(a) * (span - t) + u32::from(b) * t + span / 2) / span) as u8;
            }
            lut[usize::from(l)] = rgb;
        }
    }
    lut
}

/// Rec. 601 luma in 8-bit fixed point (weights sum to 256).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b) + 128) >> 8) as u8
}

/// Recolours an interleaved RGB8 / RGBA8 buffer in place; alpha is kept.
pub(crate) fn colorize(buf: &mut [u8], channels: usize) {
    let lut = palette();
    for px in buf.chunks_exact_mut(channels) {
        if let [r, g, b, ..] = px {
            let [nr, ng, nb] = lut[usize::from(luma(*r, *g, *b))];
            (*r, *g, *b) = (nr, ng, nb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_palette_entry_is_grey() {
        for (l, [r, g, b]) in palette().into_iter().enumerate() {
            assert!(!(r == g && g == b), "entry {l} is grey");
        }
    }

    #[test]
    fn palette_hits_its_stops_and_brightens() {
        let lut = palette();
        for (l, c) in STOPS {
            assert_eq!(lut[usize::from(l)], c);
        }
        let lum = |c: [u8; 3]| luma(c[0], c[1], c[2]);
        assert!(lum(lut[0]) < lum(lut[128]) && lum(lut[128]) < lum(lut[255]));
    }

    #[test]
    fn luma_of_grey_is_the_grey() {
        for v in [0u8, 1, 127, 128, 254, 255] {
            assert_eq!(luma(v, v, v), v);
        }
    }
}

/// The stand-in as the server runs it: through `process`, from encoded bytes.
#[cfg(test)]
mod via_process {
    use image::DynamicImage;

    use super::super::test_support::*;
    use super::super::*;

    #[test]
    fn colorize_turns_grey_into_colour_deterministically() {
        let grey = DynamicImage::ImageLuma8(grey_gradient(256, 4));
        for format in [Format::Png, Format::Bmp, Format::Webp] {
            let input = encode(&grey, format);
            let first = run(StandIn::Colorize, &input);
            let second = run(StandIn::Colorize, &input);
            assert_eq!(first, second);
            let out = decode(&first.bytes).to_rgb8();
            assert!(
                out.pixels()
                    .all(|p| !(p.0[0] == p.0[1] && p.0[1] == p.0[2])),
                "{format:?}"
            );
            // Different luminances give different colours.
            assert_ne!(out.get_pixel(0, 0), out.get_pixel(255, 0));
        }
    }

    #[test]
    fn colorize_of_a_grey_jpeg_answers_a_colour_jpeg() {
        let input = encode(
            &DynamicImage::ImageLuma8(grey_gradient(64, 16)),
            Format::Jpeg,
        );
        let out = run(StandIn::Colorize, &input);
        assert_eq!(out.info.format, Format::Jpeg);
        let img = decode(&out.bytes).to_rgb8();
        let p = img.get_pixel(2, 8).0;
        assert!(p[2] > p[1] + 20, "dark end should be indigo, got {p:?}");
    }
}
