//! Images for the avatar suites, made in the test with the `image` crate, and uploads that
//! must be rejected.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};

/// Draws a non-square test picture, so the renditions show that the processor crops to a square.
pub fn picture(width: u32, height: u32) -> DynamicImage {
    let image = RgbaImage::from_fn(width, height, |x, y| Rgba([(x * 255 / width) as u8, (y * 255 / height) as u8, 128, 255]));
    DynamicImage::ImageRgba8(image)
}

/// Encodes a small picture in each allowed format, with the content type a client declares for it.
pub fn allowed_uploads() -> Vec<(&'static str, Vec<u8>)> {
    let picture = picture(120, 80);
    [("image/png", ImageFormat::Png), ("image/jpeg", ImageFormat::Jpeg), ("image/webp", ImageFormat::WebP), ("image/gif", ImageFormat::Gif)]
        .into_iter()
        .map(|(content_type, format)| {
            // JPEG has no alpha channel.
            let source = if format == ImageFormat::Jpeg { DynamicImage::ImageRgb8(picture.to_rgb8()) } else { picture.clone() };
            let mut bytes = Cursor::new(Vec::new());
            source.write_to(&mut bytes, format).expect("encoding a test image");
            (content_type, bytes.into_inner())
        })
        .collect()
}

pub fn html() -> Vec<u8> {
    b"<!doctype html><html><body><script>alert(1)</script></body></html>".to_vec()
}

pub fn svg() -> Vec<u8> {
    br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#.to_vec()
}

/// Returns a PNG of 2 MiB and one byte: a real image followed by zero bytes.
pub fn over_two_mib() -> Vec<u8> {
    let mut bytes = allowed_uploads().remove(0).1;
    bytes.resize(2 * 1024 * 1024 + 1, 0);
    bytes
}

/// Builds a PNG whose header claims 100,000 × 100,000 pixels (40 GB as RGBA) with a valid checksum,
/// followed by no pixel data.
pub fn png_bomb() -> Vec<u8> {
    let mut header = Vec::new();
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no interlace
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    push_chunk(&mut bytes, b"IHDR", &header);
    push_chunk(&mut bytes, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    push_chunk(&mut bytes, b"IEND", &[]);
    bytes
}

fn push_chunk(bytes: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = bytes.len();
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(data);
    let crc = crc32(&bytes[start..]);
    bytes.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks use.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Decodes a rendition and returns its width and height.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(bytes, ImageFormat::Png).expect("a rendition is a PNG");
    (image.width(), image.height())
}
