//! "enhance": box-blur denoising followed by an unsharp mask, on the colour channels only.

/// Denoises then sharpens an interleaved 8-bit buffer of `channels` (3 or 4) per pixel in place.
/// Strength 0 skips a step, so 0/0 leaves every byte as it was.
pub(crate) fn enhance(
    buf: &mut [u8],
    width: usize,
    height: usize,
    channels: usize,
    denoise: u32,
    sharpen: u32,
) {
    if denoise > 0 {
        // The blur radius grows with strength: 1 -> 3x3 window, 5 -> 11x11.
        let blurred = box_blur(buf, width, height, channels, denoise as usize);
        copy_colour(&blurred, buf, channels);
    }
    if sharpen > 0 {
        // Unsharp mask: push each pixel away from its 3x3 mean by 0.3 x sharpen times the
        // difference (1.5 at most, a strong but not garish setting).
        let blurred = box_blur(buf, width, height, channels, 1);
        let amount = i32::try_from(sharpen).unwrap_or(0) * 77; // 8.8 fixed point: 77/256 ~ 0.3
        for (i, (px, &b)) in buf.iter_mut().zip(&blurred).enumerate() {
            if is_colour(i, channels) {
                let x = i32::from(*px);
                let v = x + (((x - i32::from(b)) * amount) >> 8);
                *px = v.clamp(0, 255) as u8;
            }
        }
    }
}

/// Alpha (the 4th channel) is left alone: blurring it would eat into transparent edges.
fn is_colour(index: usize, channels: usize) -> bool {
    channels < 4 || index % channels != 3
}

fn copy_colour(src: &[u8], dst: &mut [u8], channels: usize) {
    for (i, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
        if is_colour(i, channels) {
            *d = s;
        }
    }
}

/// A separable box blur with clamped edges, using running sums so the cost is independent of
/// the radius: O(pixels) per pass.
pub(crate) fn box_blur(
    src: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    radius: usize,
) -> Vec<u8> {
    let expected = width
        .checked_mul(height)
        .and_then(|p| p.checked_mul(channels));
    if src.is_empty() || expected != Some(src.len()) {
        // Callers always pass consistent sizes; if not, leave the pixels as they were.
        return src.to_vec();
    }
    let mut out = vec![0u8; src.len()];
    let window = (2 * radius + 1) as u32;
    let round = |sum: u32| ((sum + window / 2) / window) as u8;
    let stride = width * channels;

    // Horizontal pass, one row and channel at a time.
    let mut horizontal = vec![0u8; src.len()];
    for (row_in, row_out) in src
        .chunks_exact(stride)
        .zip(horizontal.chunks_exact_mut(stride))
    {
        for c in 0..channels {
            let at = |x: usize| u32::from(row_in[x.min(width - 1) * channels + c]);
            let mut sum: u32 = (0..=2 * radius).map(|k| at(k.saturating_sub(radius))).sum();
            for x in 0..width {
                row_out[x * channels + c] = round(sum);
                sum = sum + at(x + radius + 1) - at(x.saturating_sub(radius));
            }
        }
    }

    // Vertical pass: a running sum per column keeps memory access row-ordered.
    let row = |y: usize| &horizontal[y.min(height - 1) * stride..][..stride];
    let mut sums = vec![0u32; stride];
    for k in 0..=2 * radius {
        for (s, &v) in sums.iter_mut().zip(row(k.saturating_sub(radius))) {
            *s += u32::from(v);
        }
    }
    for (y, row_out) in out.chunks_exact_mut(stride).enumerate() {
        for (o, &s) in row_out.iter_mut().zip(&sums) {
            *o = round(s);
        }
        let (add, sub) = (row(y + radius + 1), row(y.saturating_sub(radius)));
        for ((s, &a), &b) in sums.iter_mut().zip(add).zip(sub) {
            *s = *s + u32::from(a) - u32::from(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_blur_of_a_constant_is_the_constant() {
        let src = vec![77u8; 6 * 4 * 3];
        assert_eq!(box_blur(&src, 6, 4, 3, 2), src);
    }

    #[test]
    fn box_blur_averages_a_single_spike() {
        // A 3x3 window over a lone 90 gives 10 around it, on a 5x5 single-channel image.
        let mut src = vec![0u8; 25];
        src[12] = 90;
        let out = box_blur(&src, 5, 5, 1, 1);
        assert_eq!(out[12], 10);
        assert_eq!(out[6], 10);
        assert_eq!(out[0], 0);
    }

    #[test]
    fn alpha_is_untouched() {
        let mut buf: Vec<u8> = (0..4 * 4 * 4).map(|i| (i * 37 % 256) as u8).collect();
        let alpha: Vec<u8> = buf.iter().skip(3).step_by(4).copied().collect();
        enhance(&mut buf, 4, 4, 4, 5, 5);
        let after: Vec<u8> = buf.iter().skip(3).step_by(4).copied().collect();
        assert_eq!(alpha, after);
    }

    #[test]
    fn tiny_images_do_not_panic() {
        let mut buf = vec![1, 2, 3];
        enhance(&mut buf, 1, 1, 3, 5, 5);
        assert_eq!(buf, vec![1, 2, 3]);
    }
}

/// The stand-in as the server runs it: through `process`, from encoded bytes.
#[cfg(test)]
mod via_process {
    use image::DynamicImage;

    use super::super::test_support::*;
    use super::super::*;

    fn variance(img: &DynamicImage) -> f64 {
        let v: Vec<f64> = img
            .to_rgb8()
            .into_raw()
            .into_iter()
            .map(f64::from)
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64
    }

    #[test]
    fn enhance_zero_zero_leaves_pixels_identical() {
        let rgb = DynamicImage::ImageRgb8(noisy_rgb(33, 17));
        let mut rgba = DynamicImage::ImageRgb8(noisy_rgb(8, 8)).to_rgba8();
        for (i, p) in rgba.pixels_mut().enumerate() {
            p.0[3] = (i * 4) as u8;
        }
        let rgba = DynamicImage::ImageRgba8(rgba);
        for img in [rgb, rgba] {
            for format in [Format::Png, Format::Webp, Format::Bmp] {
                let input = encode(&img, format);
                let out = run(enhance(0, 0), &input);
                assert_eq!(out.info.format, format);
                assert_eq!(
                    decode(&out.bytes).to_rgba8(),
                    decode(&input).to_rgba8(),
                    "{format:?}"
                );
            }
        }
    }

    #[test]
    fn more_denoise_means_less_variance() {
        let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(64, 48)), Format::Png);
        let var = |d: u32| {
            let out = run(enhance(d, 0), &input);
            variance(&decode(&out.bytes))
        };
        let v: Vec<f64> = (0..=5).map(var).collect();
        assert!(v.windows(2).all(|p| p[1] < p[0]), "variances {v:?}");
    }

    #[test]
    fn more_sharpen_means_more_edge_contrast() {
        // A modest step, so even sharpen=5 does not clip at 0 or 255.
        let step = image::RgbImage::from_fn(32, 8, |x, _| {
            if x < 16 {
                image::Rgb([100; 3])
            } else {
                image::Rgb([150; 3])
            }
        });
        let input = encode(&DynamicImage::ImageRgb8(step), Format::Png);
        let contrast = |s: u32| {
            let out = run(enhance(0, s), &input);
            let img = decode(&out.bytes).to_rgb8();
            i32::from(img.get_pixel(16, 4).0[0]) - i32::from(img.get_pixel(15, 4).0[0])
        };
        let c: Vec<i32> = (0..=5).map(contrast).collect();
        assert_eq!(c[0], 50);
        assert!(c.windows(2).all(|p| p[1] > p[0]), "contrasts {c:?}");
    }

    #[test]
    fn enhance_changes_a_noisy_image() {
        let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(20, 20)), Format::Png);
        let out = run(enhance(3, 3), &input);
        assert_ne!(decode(&out.bytes).to_rgb8(), decode(&input).to_rgb8());
    }
}
