//! "matting": background colour from the border, alpha from the colour distance to it.

use image::{Rgba, RgbaImage, imageops};

/// Colour distances at or below this are background (alpha 0); it absorbs JPEG noise.
pub const BACKGROUND_DISTANCE: f32 = 16.0;
/// Colour distances at or above this are subject (alpha 255); in between the edge is soft.
pub const SUBJECT_DISTANCE: f32 = 48.0;
/// Pixels at least this opaque define the subject's bounding box for `center-layout`, so faint
/// specks of noise do not drag the box.
const SUBJECT_ALPHA: u8 = 128;

/// Cuts the subject out of `img` in place: alpha from the distance to the border's median colour.
pub(crate) fn matte(img: &mut RgbaImage) {
    let bg = border_median(img);
    let span = SUBJECT_DISTANCE - BACKGROUND_DISTANCE;
    for px in img.pixels_mut() {
        let Rgba([r, g, b, a]) = *px;
        let d = distance([r, g, b], bg);
        let alpha = ((d - BACKGROUND_DISTANCE) / span).clamp(0.0, 1.0);
        // Input transparency is kept: the subject can only lose opacity.
        let a = (alpha * f32::from(a)).round() as u8;
        // Fully transparent pixels carry no colour, which keeps the output deterministic and small.
        *px = if a == 0 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([r, g, b, a])
        };
    }
}

fn distance(c: [u8; 3], bg: [u8; 3]) -> f32 {
    let sq: f32 = c
        .iter()
        .zip(&bg)
        .map(|(&x, &y)| (f32::from(x) - f32::from(y)).powi(2))
        .sum();
    sq.sqrt()
}

/// Per-channel median of the outermost ring of pixels, via 256-bin histograms.
pub(crate) fn border_median(img: &RgbaImage) -> [u8; 3] {
    let (w, h) = img.dimensions();
    let mut hist = [[0u32; 256]; 3];
    let mut count = 0u32;
    for (x, y, px) in img.enumerate_pixels() {
        if x == 0 || y == 0 || x + 1 == w || y + 1 == h {
            for (bins, &v) in hist.iter_mut().zip(&px.0) {
                bins[usize::from(v)] += 1;
            }
            count += 1;
        }
    }
    hist.map(|bins| {
        let mut seen = 0;
        let half = count.div_ceil(2);
        bins.iter()
            .position(|&n| {
                seen += n;
                seen >= half
            })
            .map_or(0, |v| v as u8)
    })
}

/// The smallest box (x0, y0, x1, y1; exclusive ends) around pixels at least half opaque.
pub(crate) fn subject_box(img: &RgbaImage) -> Option<(u32, u32, u32, u32)> {
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for (x, y, px) in img.enumerate_pixels() {
        if px.0[3] >= SUBJECT_ALPHA {
            let b = found.get_or_insert((x, y, x + 1, y + 1));
            *b = (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1));
        }
    }
    found
}

/// Shifts the whole image so the subject's bounding box sits in the middle of the canvas.
pub(crate) fn center(img: &RgbaImage) -> RgbaImage {
    let (w, h) = img.dimensions();
    let Some((x0, y0, x1, y1)) = subject_box(img) else {
        return img.clone();
    };
    let target =
        |size: u32, lo: u32, hi: u32| (i64::from(size) - i64::from(hi - lo)) / 2 - i64::from(lo);
    let mut out = RgbaImage::new(w, h);
    imageops::replace(&mut out, img, target(w, x0, x1), target(h, y0, y1));
    out
}

/// Adds `dx` transparent columns on the left and right and `dy` rows on top and bottom
/// (the caller has checked the new size).
pub(crate) fn pad(img: &RgbaImage, width: u32, height: u32, dx: u32, dy: u32) -> RgbaImage {
    let mut out = RgbaImage::new(width, height);
    imageops::replace(&mut out, img, i64::from(dx), i64::from(dy));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn border_median_ignores_a_minority_of_odd_border_pixels() {
        let mut img = RgbaImage::from_pixel(10, 10, Rgba([20, 40, 60, 255]));
        img.put_pixel(0, 0, Rgba([255, 255, 255, 255]));
        img.put_pixel(9, 3, Rgba([0, 0, 0, 255]));
        assert_eq!(border_median(&img), [20, 40, 60]);
    }

    #[test]
    fn soft_edge_between_the_thresholds() {
        let mut img = RgbaImage::from_pixel(5, 5, Rgba([100, 100, 100, 255]));
        // Distance 32 on one channel: halfway between 16 and 48.
        img.put_pixel(2, 2, Rgba([132, 100, 100, 255]));
        matte(&mut img);
        assert_eq!(img.get_pixel(2, 2).0[3], 128);
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0, 0]);
    }

    #[test]
    fn one_pixel_image_is_all_background() {
        let mut img = RgbaImage::from_pixel(1, 1, Rgba([9, 9, 9, 255]));
        matte(&mut img);
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0, 0]);
        assert_eq!(center(&img).dimensions(), (1, 1));
    }
}

/// The stand-in as the server runs it: through `process`, from encoded bytes.
#[cfg(test)]
mod via_process {
    use image::DynamicImage;

    use super::super::test_support::*;
    use super::super::*;

    #[test]
    fn matting_makes_the_background_transparent_and_the_subject_opaque() {
        let scene = DynamicImage::ImageRgba8(subject_on_background(60, 40, 10, 8, 16));
        for format in [
            Format::Png,
            Format::Jpeg,
            Format::Gif,
            Format::Webp,
            Format::Bmp,
        ] {
            let out = run(matting(false, (0, 0)), &encode(&scene, format));
            assert_eq!(
                out.info,
                ImageInfo {
                    format: Format::Png,
                    width: 60,
                    height: 40
                }
            );
            let img = decode(&out.bytes).to_rgba8();
            for (x, y, p) in img.enumerate_pixels() {
                if x == 0 || y == 0 || x == 59 || y == 39 {
                    assert_eq!(p.0[3], 0, "{format:?} border ({x},{y})");
                }
            }
            for (x, y) in [(12, 10), (17, 15), (23, 21)] {
                assert_eq!(
                    img.get_pixel(x, y).0[3],
                    255,
                    "{format:?} subject ({x},{y})"
                );
            }
        }
    }

    #[test]
    fn matting_padding_adds_transparent_margins() {
        let scene = DynamicImage::ImageRgba8(subject_on_background(30, 20, 5, 5, 10));
        let out = run(matting(false, (20, 10)), &encode(&scene, Format::Png));
        assert_eq!((out.info.width, out.info.height), (70, 40));
        let img = decode(&out.bytes).to_rgba8();
        assert_eq!(img.get_pixel(20 + 5, 10 + 5).0, [220, 30, 30, 255]);
        let in_margin = |x: u32, y: u32| !(20..50).contains(&x) || !(10..30).contains(&y);
        assert!(
            img.enumerate_pixels()
                .filter(|(x, y, _)| in_margin(*x, *y))
                .all(|(_, _, p)| p.0 == [0; 4])
        );
    }

    #[test]
    fn matting_center_layout_moves_the_subject_to_the_centre() {
        for (w, h, x, y, size) in [
            (100, 80, 5, 7, 20),
            (61, 47, 40, 30, 11),
            (50, 50, 1, 30, 10),
        ] {
            let scene = DynamicImage::ImageRgba8(subject_on_background(w, h, x, y, size));
            let input = encode(&scene, Format::Png);
            let img = decode(&run(matting(true, (0, 0)), &input).bytes).to_rgba8();
            assert_eq!(img.dimensions(), (w, h));
            let (cx, cy) = alpha_centroid(&img);
            let (mx, my) = (f64::from(w - 1) / 2.0, f64::from(h - 1) / 2.0);
            assert!(
                (cx - mx).abs() <= 0.5 && (cy - my).abs() <= 0.5,
                "centroid ({cx},{cy}) vs ({mx},{my})"
            );
            // Padding applies after centring.
            let padded = decode(&run(matting(true, (3, 4)), &input).bytes).to_rgba8();
            let (px, py) = alpha_centroid(&padded);
            assert!((px - cx - 3.0).abs() < 1e-9 && (py - cy - 4.0).abs() < 1e-9);
        }
    }

    #[test]
    fn matting_with_center_layout_off_keeps_the_subject_in_place() {
        let scene = subject_on_background(40, 40, 2, 3, 6);
        let img = decode(
            &run(
                matting(false, (0, 0)),
                &encode(&DynamicImage::ImageRgba8(scene), Format::Png),
            )
            .bytes,
        )
        .to_rgba8();
        assert_eq!(alpha_centroid(&img), (4.5, 5.5));
    }
}
