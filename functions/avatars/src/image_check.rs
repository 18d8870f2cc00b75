//! Checks an upload's bytes and decodes them, trusting neither its key nor its content type.

use std::fmt;
use std::io::Cursor;

use chirp_shared::avatars::MAX_UPLOAD_BYTES;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Maximum width and height of an upload, in pixels. A 4096 × 4096 RGBA bitmap takes 64 MiB.
pub const MAX_DIMENSION: u32 = 4096;

/// Maximum memory the decoder may allocate, in bytes: the largest allowed bitmap with room for
/// the decoder's own buffers.
const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;

const ALLOWED_FORMATS: [ImageFormat; 4] = [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP, ImageFormat::Gif];

/// The reason an upload is not used as an avatar.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Larger than [`MAX_UPLOAD_BYTES`]; the size in bytes.
    TooLarge(u64),
    /// The bytes start like none of the allowed formats.
    NotAnImage,
    /// The header claims a width or height above [`MAX_DIMENSION`], or zero.
    BadDimensions { width: u32, height: u32 },
    /// The header is fine but the image does not decode within the limits.
    Undecodable(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge(bytes) => write!(f, "the upload is {bytes} bytes, above the maximum of {MAX_UPLOAD_BYTES}"),
            Rejection::NotAnImage => write!(f, "the upload is not a PNG, JPEG, WebP or GIF image"),
            Rejection::BadDimensions { width, height } => {
                write!(f, "the image is {width}×{height} pixels; each side must be 1 to {MAX_DIMENSION}")
            }
            Rejection::Undecodable(error) => write!(f, "the image does not decode: {error}"),
        }
    }
}

/// Identifies the format from the bytes, checks the dimensions in the header, then decodes
/// with allocation limits. CPU-bound: run it on a blocking thread.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, Rejection> {
    if bytes.len() as u64 > MAX_UPLOAD_BYTES {
        return Err(Rejection::TooLarge(bytes.len() as u64));
    }
    let format = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.format())
        .filter(|format| ALLOWED_FORMATS.contains(format))
        .ok_or(Rejection::NotAnImage)?;

    // Reading the header alone allocates nothing for pixels.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|error| Rejection::Undecodable(error.to_string()))?;
    if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Rejection::BadDimensions { width, height });
    }

    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().map_err(|error| Rejection::Undecodable(error.to_string()))
}
