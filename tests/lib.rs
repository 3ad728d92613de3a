//! Workspace-level tests live in `tests/it` (one test binary, as matklad recommends); this
//! library holds what they share.

use std::io::Cursor;

/// A PNG of `w` x `h` with a grey gradient and a darker square in the middle: a subject on a
/// uniform-ish background, so every stand-in has something to work on.
pub fn sample_png(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Png)
}

/// The same picture as JPEG.
pub fn sample_jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Jpeg)
}

fn encode(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let inside = x > w / 4 && x < 3 * w / 4 && y > h / 4 && y < 3 * h / 4;
        if inside {
            let v = (40 + (x * 7 + y * 3) % 60) as u8;
            image::Rgb([v, v, v])
        } else {
            image::Rgb([230, 230, 230])
        }
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image into a Vec cannot fail for these formats.
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, format);
    out.into_inner()
}

/// Decodes an image and returns its dimensions and whether it has an alpha channel.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32, bool)> {
    let img = image::load_from_memory(bytes).ok()?;
    Some((img.width(), img.height(), img.color().has_alpha()))
}
