//! Fixtures shared by the processor tests: stand-ins, limits, encoded images, hand-built PNGs.

use cos_ci_validate::ProcessorKind;
use image::{DynamicImage, GrayImage, Luma, Rgb, RgbImage, RgbaImage};

use super::{
    Enhance, Format, ImageLimits, Inputs, Matting, ProcessError, Processed, StandIn,
    SuperResolution, codec,
};

/// Generous limits for tests that are not about limits.
pub const LIMITS: ImageLimits = ImageLimits {
    max_input_bytes: 32 << 20,
    max_width: 8192,
    max_height: 8192,
    max_pixels: 32 << 20,
};

/// `super-resolution` by `magnify`.
pub fn magnify(magnify: u32) -> StandIn {
    StandIn::SuperResolution(SuperResolution { magnify })
}

/// `enhance` with these strengths.
pub fn enhance(denoise: u32, sharpen: u32) -> StandIn {
    StandIn::Enhance(Enhance { denoise, sharpen })
}

/// `matting`, centred or not, with `padding`.
pub fn matting(center: bool, padding: (u32, u32)) -> StandIn {
    StandIn::Matting(Matting { center, padding })
}

/// Inputs every test stand-in takes: small, and each switch on.
struct Typical;

impl Inputs for Typical {
    fn integer(&self, _input: &str) -> Result<u32, ProcessError> {
        Ok(2)
    }
    fn flag(&self, _input: &str) -> Result<bool, ProcessError> {
        Ok(true)
    }
    fn pair(&self, _input: &str) -> Result<(u32, u32), ProcessError> {
        Ok((3, 1))
    }
    fn text_digest(&self, _input: &str) -> Result<u64, ProcessError> {
        Ok(7)
    }
}

/// Every image stand-in the spec declares, with [`Typical`] inputs: a new one is covered by
/// every test that runs them all.
pub fn every_image_stand_in() -> Vec<StandIn> {
    let all: Vec<StandIn> = ProcessorKind::all()
        .map(|kind| StandIn::read(kind, &Typical).expect("typical inputs"))
        // `code` draws without reading its input; code.rs tests it.
        .filter(|s| !matches!(s, StandIn::Xml | StandIn::Json | StandIn::Code(_)))
        .collect();
    assert!(all.len() >= 6, "{all:?}");
    all
}

pub fn encode(img: &DynamicImage, format: Format) -> Vec<u8> {
    codec::encode(img, format).expect("fixture encodes")
}

pub fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("output decodes")
}

/// Runs `stand_in`, asserting success and that `info` tells the truth about the bytes.
pub fn run(stand_in: StandIn, input: &[u8]) -> Processed {
    let out = super::process(stand_in, input, &LIMITS, false)
        .unwrap_or_else(|e| panic!("{stand_in:?} failed: {e}"));
    assert_eq!(super::probe(&out.bytes).expect("output probes"), out.info);
    out
}

/// Runs `stand_in`, asserting failure; returns the error.
pub fn err(stand_in: StandIn, input: &[u8], limits: &ImageLimits) -> ProcessError {
    match super::process(stand_in, input, limits, false) {
        Ok(p) => panic!("{stand_in:?} unexpectedly succeeded with {:?}", p.info),
        Err(e) => e,
    }
}

/// Deterministic pseudo-random bytes (a 32-bit LCG), so noisy fixtures never change.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 24) as u8
        })
        .collect()
}

/// Mid-grey with +-40 noise.
pub fn noisy_rgb(w: u32, h: u32) -> RgbImage {
    let n = noise((w * h * 3) as usize, 7);
    RgbImage::from_fn(w, h, |x, y| {
        let i = ((y * w + x) * 3) as usize;
        Rgb([0, 1, 2].map(|c| 88 + n[i + c] / 3))
    })
}

/// A horizontal grey ramp.
pub fn grey_gradient(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, _| Luma([(x * 255 / (w - 1).max(1)) as u8]))
}

/// A red `size` square at (`x`, `y`) on a uniform blue background.
pub fn subject_on_background(w: u32, h: u32, x: u32, y: u32, size: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |px, py| {
        let inside = (x..x + size).contains(&px) && (y..y + size).contains(&py);
        if inside {
            image::Rgba([220, 30, 30, 255])
        } else {
            image::Rgba([40, 90, 200, 255])
        }
    })
}

/// Alpha-weighted centroid of an RGBA image.
pub fn alpha_centroid(img: &RgbaImage) -> (f64, f64) {
    let (mut sx, mut sy, mut sa) = (0.0, 0.0, 0.0);
    for (x, y, p) in img.enumerate_pixels() {
        let a = f64::from(p.0[3]);
        sx += a * f64::from(x);
        sy += a * f64::from(y);
        sa += a;
    }
    (sx / sa, sy / sa)
}

/// CRC-32 (IEEE), bitwise: only for building PNG chunks by hand.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG whose IHDR declares `w` x `h` RGB8 but whose IDAT holds only a few bytes: probing it is
/// free, decoding it would need w * h * 3 bytes.
pub fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0x00]);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn crc32_matches_the_known_iend_crc() {
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
}
