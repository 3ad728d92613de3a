//! Format sniffing and header-only dimension reading.

use std::io::Cursor;

use image::{ImageDecoder, ImageFormat, ImageReader};

use super::ProcessError;

/// The image formats the mock reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF (only the first frame is processed).
    Gif,
    /// WebP (written lossless).
    Webp,
    /// BMP.
    Bmp,
}

impl Format {
    /// Every supported format.
    pub const ALL: [Format; 5] = [
        Format::Png,
        Format::Jpeg,
        Format::Gif,
        Format::Webp,
        Format::Bmp,
    ];

    /// The MIME type, for `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Bmp => "image/bmp",
        }
    }

    /// The short name COS reports in an UploadResult `<Format>` element.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Gif => "gif",
            Format::Webp => "webp",
            Format::Bmp => "bmp",
        }
    }

    /// The `image` crate's name for this format.
    pub fn image_format(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Gif => ImageFormat::Gif,
            Format::Webp => ImageFormat::WebP,
            Format::Bmp => ImageFormat::Bmp,
        }
    }

    /// Maps an `image` crate format back; `None` for formats the mock does not handle.
    pub fn from_image_format(format: ImageFormat) -> Option<Format> {
        match format {
            ImageFormat::Png => Some(Format::Png),
            ImageFormat::Jpeg => Some(Format::Jpeg),
            ImageFormat::Gif => Some(Format::Gif),
            ImageFormat::WebP => Some(Format::Webp),
            ImageFormat::Bmp => Some(Format::Bmp),
            _ => None,
        }
    }
}

/// What the header of an image says: format and dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// The container format.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ImageInfo {
    /// Width times height, without overflow.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Reads only the header: format and dimensions, no pixel decoding.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo, ProcessError> {
    let format = image::guess_format(bytes)
        .ok()
        .and_then(Format::from_image_format)
        .ok_or_else(|| ProcessError::invalid_format("not a PNG, JPEG, GIF, WebP or BMP image"))?;
    // Building the decoder parses the header only; pixel data is read later by `decode`.
    let decoder = ImageReader::with_format(Cursor::new(bytes), format.image_format())
        .into_decoder()
        .map_err(|e| {
            ProcessError::invalid_format(format!("cannot read {} header: {e}", format.name()))
        })?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ProcessError::invalid_format(format!(
            "{} header declares an empty {width}x{height} image",
            format.name()
        )));
    }
    Ok(ImageInfo {
        format,
        width,
        height,
    })
}
