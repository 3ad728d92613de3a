//! The floor of the mock's processing: decode, process and encode done in-process by
//! `cos_ci_mock::processors::process`, exactly as the server runs it for a download request,
//! without HTTP, signatures or storage. `cargo xtask bench` compares the server's latency for
//! the same requests with these times.
//!
//! `cargo xtask bench` runs it with glibc malloc keeping freed memory (see
//! `FLOOR_MALLOC` in xtask/src/bench/micro.rs), as the server's worker threads do.
//!
//! The inputs are PNGs made here; with `COS_CI_BENCH_OUT=<dir>` set they are written to
//! `<dir>/png/<side>.png` so the load benchmark uploads the very same bytes.

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use cos_ci_mock::processors::{ImageLimits, process, stand_in};
use cos_ci_validate::{Output, ParamValues, Value, find_operation};
use criterion::{Criterion, SamplingMode};

/// The sides of the square inputs.
const SIDES: [u32; 2] = [256, 1024];

/// A photo-like RGB PNG: gradients with a textured subject, so it neither compresses to
/// nothing nor is noise.
fn sample_png(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        let inside = x > side / 4 && x < 3 * side / 4 && y > side / 4 && y < 3 * side / 4;
        let gx = (x * 255 / side) as u8;
        let gy = (y * 255 / side) as u8;
        if inside {
            let t = ((x * 7 + y * 13) ^ (x * y / 3)) % 97;
            image::Rgb([40 + t as u8, 30 + (t / 2) as u8, gy / 2])
        } else {
            image::Rgb([gx, gy, 200])
        }
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("an in-memory PNG encodes");
    out.into_inner()
}

/// The operations measured: (name, parameters as the load benchmark sends them).
fn cases() -> Vec<(&'static str, ParamValues)> {
    let mut x2 = ParamValues::new();
    x2.set("magnify", Value::Int(2));
    vec![
        ("AISuperResolution", x2),
        ("AIEnhanceImage", ParamValues::new()),
    ]
}

fn processors(c: &mut Criterion) {
    let out = std::env::var_os("COS_CI_BENCH_OUT");
    let inputs: Vec<(u32, Vec<u8>)> = SIDES.iter().map(|&s| (s, sample_png(s))).collect();
    if let Some(dir) = &out {
        let dir = std::path::Path::new(dir).join("png");
        std::fs::create_dir_all(&dir).expect("COS_CI_BENCH_OUT/png can be created");
        for (side, png) in &inputs {
            std::fs::write(dir.join(format!("{side}.png")), png).expect("writable");
        }
    }
    let mut group = c.benchmark_group("process");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    for (name, values) in cases() {
        let spec = find_operation(name).expect("the operation is in the spec");
        let l = spec.limits;
        let limits = ImageLimits {
            max_input_bytes: l.max_input_bytes,
            max_width: l.max_width,
            max_height: l.max_height,
            max_pixels: l.max_pixels,
        };
        let png = matches!(spec.output, Output::Image { png: true });
        let stand_in = stand_in(spec, &values).expect("the spec feeds its stand-in");
        for (side, input) in &inputs {
            group.bench_function(format!("{name}_{side}"), |b| {
                b.iter(|| {
                    process(stand_in, black_box(input), &limits, png).expect("the sample processes")
                })
            });
        }
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    processors(&mut criterion);
    criterion.final_summary();
}
