//! Behaviour of `process` as the server sees it: geometry, pixels, formats and errors.

use image::{DynamicImage, GenericImageView, RgbaImage};
use proptest::prelude::*;

use super::test_support::*;
use super::*;

fn err(processor: &str, input: &[u8], params: &TestParams, limits: &ImageLimits) -> ProcessError {
    match process(processor, input, params, limits, false) {
        Ok(p) => panic!("{processor} unexpectedly succeeded with {:?}", p.info),
        Err(e) => e,
    }
}

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

// --- super-resolution ---

#[test]
fn super_resolution_scales_odd_sizes_exactly() {
    for (w, h) in [(7, 5), (13, 9), (1, 1), (31, 2)] {
        let png = encode(&DynamicImage::ImageRgb8(noisy_rgb(w, h)), Format::Png);
        for magnify in [2, 4] {
            let out = run(
                "super-resolution",
                &png,
                &TestParams::default().int("magnify", magnify),
            );
            let m = magnify as u32;
            assert_eq!((out.info.width, out.info.height), (w * m, h * m));
            assert_eq!(decode(&out.bytes).dimensions(), (w * m, h * m));
            assert_eq!(out.info.format, Format::Png);
        }
    }
}

#[test]
fn super_resolution_defaults_to_x2_and_keeps_the_format() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(9, 7));
    for format in Format::ALL {
        let out = run(
            "super-resolution",
            &encode(&img, format),
            &TestParams::default(),
        );
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
    let e = err(
        "super-resolution",
        &png_header_only(9000, 8000),
        &TestParams::default(),
        &limits,
    );
    assert_eq!(e.code, ProcessError::IMAGE_RESOLUTION_EXCEED, "{e}");
}

// --- enhance ---

#[test]
fn enhance_zero_zero_leaves_pixels_identical() {
    let rgb = DynamicImage::ImageRgb8(noisy_rgb(33, 17));
    let mut rgba = noisy_rgb(8, 8);
    rgba.put_pixel(0, 0, image::Rgb([1, 2, 3]));
    let rgba = DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgba).to_rgba8());
    let params = TestParams::default().int("denoise", 0).int("sharpen", 0);
    for img in [rgb, rgba] {
        for format in [Format::Png, Format::Webp, Format::Bmp] {
            let input = encode(&img, format);
            let out = run("enhance", &input, &params);
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
    let var = |d: i64| {
        let out = run(
            "enhance",
            &input,
            &TestParams::default().int("denoise", d).int("sharpen", 0),
        );
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
    let contrast = |s: i64| {
        let out = run(
            "enhance",
            &input,
            &TestParams::default().int("denoise", 0).int("sharpen", s),
        );
        let img = decode(&out.bytes).to_rgb8();
        i32::from(img.get_pixel(16, 4).0[0]) - i32::from(img.get_pixel(15, 4).0[0])
    };
    let c: Vec<i32> = (0..=5).map(contrast).collect();
    assert_eq!(c[0], 50);
    assert!(c.windows(2).all(|p| p[1] > p[0]), "contrasts {c:?}");
}

#[test]
fn enhance_defaults_change_a_noisy_image() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(20, 20)), Format::Png);
    let out = run("enhance", &input, &TestParams::default());
    assert_ne!(decode(&out.bytes).to_rgb8(), decode(&input).to_rgb8());
}

// --- colorize ---

#[test]
fn colorize_turns_grey_into_colour_deterministically() {
    let grey = DynamicImage::ImageLuma8(grey_gradient(256, 4));
    for format in [Format::Png, Format::Bmp, Format::Webp] {
        let input = encode(&grey, format);
        let first = run("colorize", &input, &TestParams::default());
        let second = run("colorize", &input, &TestParams::default());
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
    let out = run("colorize", &input, &TestParams::default());
    assert_eq!(out.info.format, Format::Jpeg);
    let img = decode(&out.bytes).to_rgb8();
    let p = img.get_pixel(2, 8).0;
    assert!(p[2] > p[1] + 20, "dark end should be indigo, got {p:?}");
}

// --- matting ---

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
        let out = run("matting", &encode(&scene, format), &TestParams::default());
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
    let params = TestParams::default().pair("padding-layout", (20, 10));
    let out = run("matting", &encode(&scene, Format::Png), &params);
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
        let params = TestParams::default().flag("center-layout", true);
        let img = decode(&run("matting", &input, &params).bytes).to_rgba8();
        assert_eq!(img.dimensions(), (w, h));
        let (cx, cy) = alpha_centroid(&img);
        let (mx, my) = (f64::from(w - 1) / 2.0, f64::from(h - 1) / 2.0);
        assert!(
            (cx - mx).abs() <= 0.5 && (cy - my).abs() <= 0.5,
            "centroid ({cx},{cy}) vs ({mx},{my})"
        );
        // Padding applies after centring.
        let both = params.clone().pair("padding-layout", (3, 4));
        let padded = decode(&run("matting", &input, &both).bytes).to_rgba8();
        let (px, py) = alpha_centroid(&padded);
        assert!((px - cx - 3.0).abs() < 1e-9 && (py - cy - 4.0).abs() < 1e-9);
    }
}

#[test]
fn matting_with_center_layout_off_keeps_the_subject_in_place() {
    let scene = subject_on_background(40, 40, 2, 3, 6);
    let params = TestParams::default().flag("center-layout", false);
    let img = decode(
        &run(
            "matting",
            &encode(&DynamicImage::ImageRgba8(scene), Format::Png),
            &params,
        )
        .bytes,
    )
    .to_rgba8();
    assert_eq!(alpha_centroid(&img), (4.5, 5.5));
}

// --- formats and passthrough ---

#[test]
fn probe_reads_every_format() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(21, 11));
    for format in Format::ALL {
        let info = probe(&encode(&img, format)).unwrap();
        assert_eq!(
            info,
            ImageInfo {
                format,
                width: 21,
                height: 11
            }
        );
    }
    let names: Vec<_> = Format::ALL.iter().map(|f| (f.name(), f.mime())).collect();
    assert_eq!(
        names,
        [
            ("png", "image/png"),
            ("jpg", "image/jpeg"),
            ("gif", "image/gif"),
            ("webp", "image/webp"),
            ("bmp", "image/bmp"),
        ]
    );
}

#[test]
fn passthrough_keeps_pixels_and_format() {
    let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(9, 4, |x, y| {
        image::Rgba([x as u8 * 20, y as u8 * 50, 7, 200])
    }));
    for format in [Format::Png, Format::Gif, Format::Webp, Format::Bmp] {
        let input = encode(&img, format);
        let out = run("passthrough", &input, &TestParams::default());
        assert_eq!(out.info.format, format);
        assert_eq!(
            decode(&out.bytes).to_rgba8(),
            decode(&input).to_rgba8(),
            "{format:?}"
        );
    }
}

#[test]
fn force_png_answers_png_for_every_processor() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(10, 6)), Format::Jpeg);
    for name in PROCESSORS {
        let out = process(name, &input, &NoParams, &LIMITS, true).unwrap();
        assert_eq!(out.info.format, Format::Png, "{name}");
        assert_eq!(probe(&out.bytes).unwrap(), out.info);
    }
}

#[test]
fn every_processor_reports_the_truth_about_its_output() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(12, 10));
    for format in Format::ALL {
        let input = encode(&img, format);
        for name in PROCESSORS {
            run(name, &input, &TestParams::default());
        }
    }
}

// --- errors ---

#[test]
fn a_huge_declared_png_is_refused_from_the_header() {
    let bytes = png_header_only(100_000, 100_000);
    let info = probe(&bytes).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (Format::Png, 100_000, 100_000)
    );
    let limits = ImageLimits {
        max_input_bytes: 1 << 20,
        max_width: 50_000,
        max_height: 50_000,
        max_pixels: 250_000_000,
    };
    assert_eq!(
        check_limits(bytes.len() as u64, &info, &limits)
            .unwrap_err()
            .code,
        ProcessError::IMAGE_RESOLUTION_EXCEED
    );
    for name in PROCESSORS {
        assert_eq!(
            err(name, &bytes, &TestParams::default(), &limits).code,
            ProcessError::IMAGE_RESOLUTION_EXCEED
        );
    }
}

#[test]
fn pixel_count_alone_can_exceed() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(20, 20)), Format::Png);
    let limits = ImageLimits {
        max_pixels: 399,
        ..LIMITS
    };
    assert_eq!(
        err("passthrough", &input, &TestParams::default(), &limits).code,
        ProcessError::IMAGE_RESOLUTION_EXCEED
    );
}

#[test]
fn truncated_images_are_invalid() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(40, 30));
    for format in Format::ALL {
        let full = encode(&img, format);
        // Cuts into the pixel data (PNG, GIF and WebP readers forgive a missing end chunk).
        for cut in [full.len() / 2, full.len() * 3 / 4, 20, 8, 2] {
            let e = err("passthrough", &full[..cut], &TestParams::default(), &LIMITS);
            assert_eq!(
                e.code,
                ProcessError::INVALID_IMAGE_FORMAT,
                "{format:?} cut at {cut}: {e}"
            );
        }
    }
    // A JPEG must reach its end-of-image marker: the decoder alone would pad with grey.
    let full = encode(&img, Format::Jpeg);
    for cut in [full.len() - 1, full.len() - 2, full.len() - 100] {
        let e = err("passthrough", &full[..cut], &TestParams::default(), &LIMITS);
        assert_eq!(
            e.code,
            ProcessError::INVALID_IMAGE_FORMAT,
            "jpg cut at {cut}: {e}"
        );
    }
}

#[test]
fn random_bytes_and_empty_input_are_invalid() {
    for bytes in [
        noise(1000, 1),
        noise(3, 2),
        Vec::new(),
        b"<html>not an image</html>".to_vec(),
    ] {
        assert!(probe(&bytes).is_err());
        let e = err("enhance", &bytes, &TestParams::default(), &LIMITS);
        assert_eq!(e.code, ProcessError::INVALID_IMAGE_FORMAT);
    }
}

#[test]
fn too_many_bytes_is_image_too_large() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(20, 20)), Format::Png);
    let limits = ImageLimits {
        max_input_bytes: input.len() as u64 - 1,
        ..LIMITS
    };
    assert_eq!(
        err("colorize", &input, &TestParams::default(), &limits).code,
        ProcessError::IMAGE_TOO_LARGE
    );
    // Even garbage is refused on size first, before anyone looks at it.
    let junk = vec![0u8; 100];
    let tiny = ImageLimits {
        max_input_bytes: 99,
        ..LIMITS
    };
    assert_eq!(
        err("colorize", &junk, &TestParams::default(), &tiny).code,
        ProcessError::IMAGE_TOO_LARGE
    );
}

#[test]
fn unknown_processors_and_bad_params_are_invalid_arguments() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(4, 4)), Format::Png);
    let cases = [
        ("sepia", TestParams::default()),
        ("super-resolution", TestParams::default().int("magnify", 0)),
        (
            "super-resolution",
            TestParams::default().int("magnify", 1 << 40),
        ),
        ("enhance", TestParams::default().int("sharpen", 6)),
        ("enhance", TestParams::default().int("denoise", -1)),
    ];
    for (name, params) in cases {
        assert_eq!(
            err(name, &input, &params, &LIMITS).code,
            ProcessError::INVALID_ARGUMENT,
            "{name} {params:?}"
        );
    }
    // The processor name is checked before the input, so a bad name never reads the body.
    assert_eq!(
        err("sepia", b"junk", &TestParams::default(), &LIMITS).code,
        ProcessError::INVALID_ARGUMENT
    );
}

#[test]
fn huge_padding_is_refused_before_allocation() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(4, 4)), Format::Png);
    let params = TestParams::default().pair("padding-layout", (u32::MAX, u32::MAX));
    assert_eq!(
        err("matting", &input, &params, &LIMITS).code,
        ProcessError::IMAGE_RESOLUTION_EXCEED
    );
}

#[test]
fn error_display_is_code_then_message() {
    assert_eq!(
        ProcessError::too_large("5 bytes").to_string(),
        "ImageTooLarge: 5 bytes"
    );
}

/// Timings for the report; run with `cargo test --release -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing_1024() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(1024, 1024)), Format::Png);
    for (name, params) in [
        ("enhance", TestParams::default()),
        (
            "enhance",
            TestParams::default().int("denoise", 5).int("sharpen", 5),
        ),
        ("super-resolution", TestParams::default()),
        ("super-resolution", TestParams::default().int("magnify", 4)),
        ("colorize", TestParams::default()),
        ("matting", TestParams::default().flag("center-layout", true)),
        ("passthrough", TestParams::default()),
    ] {
        let start = std::time::Instant::now();
        let out = run(name, &input, &params);
        println!(
            "{name} {params:?}: {:?} -> {}x{}",
            start.elapsed(),
            out.info.width,
            out.info.height
        );
    }
}

// --- never panic ---

fn all_processors_survive(bytes: &[u8]) {
    let _ = probe(bytes);
    let limits = ImageLimits {
        max_input_bytes: 1 << 20,
        max_width: 512,
        max_height: 512,
        max_pixels: 1 << 16,
    };
    for name in PROCESSORS {
        let params = TestParams::default()
            .flag("center-layout", true)
            .pair("padding-layout", (3, 1));
        if let Ok(out) = process(name, bytes, &params, &limits, false) {
            assert_eq!(probe(&out.bytes).ok(), Some(out.info));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        all_processors_survive(&bytes);
    }

    #[test]
    fn mutated_images_never_panic(
        format_index in 0usize..5,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let format = Format::ALL[format_index];
        let mut bytes = encode(&DynamicImage::ImageRgb8(noisy_rgb(12, 9)), format);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = bytes.len() - cut.index(bytes.len() / 4 + 1);
        bytes.truncate(keep);
        all_processors_survive(&bytes);
    }
}

#[test]
#[ignore]
fn timing_phases_tmp() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(1024, 1024));
    let t = std::time::Instant::now();
    let input = encode(&img, Format::Png);
    println!("phase encode 1024 png {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let info = probe(&input).unwrap();
    let d = codec::decode(&input, &info, &LIMITS).unwrap();
    println!("phase decode 1024 png {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let up = super_resolution::upscale(&d, 2048, 2048).unwrap();
    println!("phase resize x2 {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let _ = encode(&up, Format::Png);
    println!("phase encode 2048 png {:?}", t.elapsed());
    let mut rgb = d.to_rgb8();
    let t = std::time::Instant::now();
    enhance::enhance(&mut rgb, 1024, 1024, 3, 3, 3);
    println!("phase enhance pixels {:?}", t.elapsed());
}
