//! How long one AISuperResolution (×2) of a 1024 px PNG takes in the profile this example is
//! built with: the work the mock does for such a request, without HTTP. A downstream test
//! builds the mock in its dev profile, at opt-level 0 unless told otherwise, so compare
//!
//! ```text
//! cargo run -p cos-ci-mock --no-default-features --example debug_timing \
//!     --config 'profile.dev.package."*".opt-level=0' --config 'profile.dev.package.cos-ci-mock.opt-level=0'
//! cargo run -p cos-ci-mock --no-default-features --example debug_timing
//! ```
//!
//! (the second at this workspace's `opt-level = 1`, the line the README asks users to add).

use std::io::Cursor;
use std::process::ExitCode;
use std::time::Instant;

use cos_ci_mock::processors::{ImageLimits, process, stand_in};
use cos_ci_validate::{Output, ParamValues, Value, find_operation};

/// A photo-like RGB PNG, as in benches/processors.rs.
fn sample_png(side: u32) -> Result<Vec<u8>, image::ImageError> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        let inside = x > side / 4 && x < 3 * side / 4 && y > side / 4 && y < 3 * side / 4;
        let t = ((x * 7 + y * 13) ^ (x * y / 3)) % 97;
        if inside {
            image::Rgb([40 + t as u8, 30 + (t / 2) as u8, (y * 127 / side) as u8])
        } else {
            image::Rgb([(x * 255 / side) as u8, (y * 255 / side) as u8, 200])
        }
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn main() -> ExitCode {
    let Some(spec) = find_operation("AISuperResolution") else {
        eprintln!("AISuperResolution is not in the spec");
        return ExitCode::FAILURE;
    };
    let input = match sample_png(1024) {
        Ok(png) => png,
        Err(e) => {
            eprintln!("cannot encode the sample: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut values = ParamValues::new();
    values.set("magnify", Value::Int(2));
    let l = spec.limits;
    let limits = ImageLimits {
        max_input_bytes: l.max_input_bytes,
        max_width: l.max_width,
        max_height: l.max_height,
        max_pixels: l.max_pixels,
    };
    let png = matches!(spec.output, Output::Image { png: true });
    // The median of 3 runs: the first may pay for page faults the others do not.
    let mut times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        if let Err(e) = stand_in(spec, &values).and_then(|s| process(s, &input, &limits, png)) {
            eprintln!("processing failed: {e}");
            return ExitCode::FAILURE;
        }
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "AISuperResolution x2 of a 1024 px PNG: {:.0} ms (median of 3)",
        times[1].as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
