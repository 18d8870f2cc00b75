//! The square renditions of an avatar.

use std::io::Cursor;

use chirp_shared::avatars::RENDITION_SIZES;
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, ImageFormat};

/// Crops the centre square and scales it to each of [`RENDITION_SIZES`], as PNG. Re-encoding
/// from pixels drops every metadata chunk of the upload (EXIF, ICC profiles, comments).
/// CPU-bound: run it on a blocking thread.
pub fn render(image: &DynamicImage) -> Vec<(u32, Vec<u8>)> {
    let (width, height) = image.dimensions();
    let side = width.min(height);
    let square = image.crop_imm((width - side) / 2, (height - side) / 2, side, side);
    RENDITION_SIZES
        .iter()
        .map(|&size| {
            let scaled = square.resize_exact(size, size, FilterType::Lanczos3).to_rgba8();
            let mut png = Cursor::new(Vec::new());
            scaled.write_to(&mut png, ImageFormat::Png).expect("encoding PNG into memory does not fail");
            (size, png.into_inner())
        })
        .collect()
}
