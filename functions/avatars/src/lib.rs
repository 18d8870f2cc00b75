//! The avatar processor, invoked by S3 `ObjectCreated` events on `uploads/`: it checks each
//! uploaded image, writes its square renditions, sets `avatar_url` and deletes the upload.

mod handler;
mod image_check;
mod renditions;

pub use handler::{Outcome, Processor, handle_event, process_upload};
pub use image_check::{MAX_DIMENSION, Rejection, decode};
pub use renditions::render;
