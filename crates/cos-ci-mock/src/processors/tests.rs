//! `process` across processors and formats: output facts, errors, limits, and never panicking.

use image::{DynamicImage, RgbaImage};
use proptest::prelude::*;

use super::test_support::*;
use super::*;

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
        let out = run(StandIn::Passthrough, &input);
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
    for stand_in in every_image_stand_in() {
        let out = process(stand_in, &input, &LIMITS, true).unwrap();
        assert_eq!(out.info.format, Format::Png, "{stand_in:?}");
        assert_eq!(probe(&out.bytes).unwrap(), out.info);
    }
}

#[test]
fn every_processor_reports_the_truth_about_its_output() {
    let img = DynamicImage::ImageRgb8(noisy_rgb(12, 10));
    for format in Format::ALL {
        let input = encode(&img, format);
        for stand_in in every_image_stand_in() {
            run(stand_in, &input);
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
    for stand_in in every_image_stand_in() {
        assert_eq!(
            err(stand_in, &bytes, &limits).code,
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
        err(StandIn::Passthrough, &input, &limits).code,
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
            let e = err(StandIn::Passthrough, &full[..cut], &LIMITS);
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
        let e = err(StandIn::Passthrough, &full[..cut], &LIMITS);
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
        let e = err(enhance(3, 3), &bytes, &LIMITS);
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
        err(StandIn::Colorize, &input, &limits).code,
        ProcessError::IMAGE_TOO_LARGE
    );
    // Even garbage is refused on size first, before anyone looks at it.
    let junk = vec![0u8; 100];
    let tiny = ImageLimits {
        max_input_bytes: 99,
        ..LIMITS
    };
    assert_eq!(
        err(StandIn::Colorize, &junk, &tiny).code,
        ProcessError::IMAGE_TOO_LARGE
    );
}

#[test]
fn an_empty_output_is_an_invalid_argument() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(4, 4)), Format::Png);
    assert_eq!(
        err(magnify(0), &input, &LIMITS).code,
        ProcessError::INVALID_ARGUMENT
    );
}

#[test]
fn huge_inputs_are_refused_before_allocation() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(4, 4)), Format::Png);
    for stand_in in [matting(false, (u32::MAX, u32::MAX)), magnify(u32::MAX)] {
        assert_eq!(
            err(stand_in, &input, &LIMITS).code,
            ProcessError::IMAGE_RESOLUTION_EXCEED,
            "{stand_in:?}"
        );
    }
}

#[test]
fn xml_writes_no_image() {
    let input = encode(&DynamicImage::ImageRgb8(noisy_rgb(4, 4)), Format::Png);
    assert_eq!(
        err(StandIn::Xml, &input, &LIMITS).code,
        ProcessError::INTERNAL_ERROR
    );
    assert!(!every_image_stand_in().contains(&StandIn::Xml));
    assert!(!every_image_stand_in().contains(&StandIn::Json));
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
    for stand_in in [
        enhance(3, 3),
        enhance(5, 5),
        magnify(2),
        magnify(4),
        StandIn::Colorize,
        matting(true, (0, 0)),
        StandIn::Passthrough,
    ] {
        let start = std::time::Instant::now();
        let out = run(stand_in, &input);
        println!(
            "{stand_in:?}: {:?} -> {}x{}",
            start.elapsed(),
            out.info.width,
            out.info.height
        );
    }
    // GIF pays for colour quantisation (NeuQuant) on top.
    let gif = encode(&DynamicImage::ImageRgb8(noisy_rgb(1024, 1024)), Format::Gif);
    for m in [2, 4] {
        let start = std::time::Instant::now();
        run(magnify(m), &gif);
        println!("gif super-resolution x{m}: {:?}", start.elapsed());
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
    for stand_in in every_image_stand_in() {
        if let Ok(out) = process(stand_in, bytes, &limits, false) {
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
