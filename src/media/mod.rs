//! Citizen uploads: what a file really is ([`sniff`]), a clean copy of it ([`sanitise`]) and
//! where its bytes live.
//!
//! A photo from a phone carries the place it was taken (EXIF GPS), the device and often the
//! owner's name. [`sanitise`] turns the bytes a citizen sent into bytes that are safe to store
//! and publish:
//!
//! - the type is decided by the content (magic bytes), never by the file name or the declared
//!   `Content-Type`: JPEG, PNG, WebP and PDF are accepted, anything else is
//!   [`MediaError::UnsupportedType`];
//! - a file above [`MediaLimits::max_bytes`] is [`MediaError::TooLarge`]; an image whose header
//!   declares more than [`MediaLimits::max_pixels`] is [`MediaError::TooManyPixels`] before any
//!   pixel is decoded (decompression bombs), and the decoder runs under an allocation limit;
//! - a photo is decoded, turned upright by its EXIF orientation, and written again in the same
//!   format without any metadata (EXIF, GPS, XMP, ICC profile, comments, text chunks); a 320 px
//!   JPEG thumbnail is made from the upright image;
//! - a PDF is checked (`%PDF-` header, `%%EOF` trailer) and kept byte for byte; it has no
//!   thumbnail and must be served as a download (`Content-Disposition: attachment`).
//!
//! [`sanitise`] is CPU-bound and synchronous: call it on a blocking thread (`web::block`).

mod photo;
mod sniff;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

pub use sniff::sniff;

/// Longest side of a thumbnail, in pixels. Smaller images keep their size (never upscaled).
pub const THUMBNAIL_MAX_SIDE: u32 = 320;
/// Thumbnails are always JPEG, whatever the original's format.
pub const THUMBNAIL_MIME: &str = "image/jpeg";

const MIB: usize = 1024 * 1024;

/// What an upload is, decided by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl MediaKind {
    pub fn mime(&self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Webp => "image/webp",
            MediaKind::Pdf => "application/pdf",
        }
    }

    /// File extension without the dot, for download names and storage keys.
    pub fn extension(&self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Webp => "webp",
            MediaKind::Pdf => "pdf",
        }
    }

    /// Photos are shown inline and have a thumbnail; a PDF is only ever a download.
    pub fn is_image(&self) -> bool {
        !matches!(self, MediaKind::Pdf)
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

/// Per-file limits applied by [`sanitise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Largest accepted image, in pixels (width × height as declared by the header).
    pub max_pixels: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * MIB,
            max_pixels: 40_000_000,
        }
    }
}

/// A file that is safe to store: metadata removed, upright, type known.
#[derive(Clone, PartialEq, Eq)]
pub struct Sanitised {
    pub kind: MediaKind,
    /// The clean file, in the same format as the upload ([`MediaKind::mime`]).
    pub bytes: Vec<u8>,
    /// A JPEG ([`THUMBNAIL_MIME`]) whose longest side is at most [`THUMBNAIL_MAX_SIDE`];
    /// `None` for a PDF.
    pub thumbnail: Option<Vec<u8>>,
    /// Size of the upright image; `None` for a PDF.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl std::fmt::Debug for Sanitised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitised")
            .field("kind", &self.kind)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field(
                "thumbnail",
                &self
                    .thumbnail
                    .as_ref()
                    .map(|t| format!("{} bytes", t.len())),
            )
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Why an upload was refused. Each variant is the citizen's to fix, none is a server fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("unsupported file type: send a JPEG, PNG or WebP photo or a PDF")]
    UnsupportedType,
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the image has more than {limit} pixels")]
    TooManyPixels { limit: u64 },
    /// The text says what the decoder tripped over; it describes the citizen's own file only.
    #[error("the file is damaged or incomplete: {0}")]
    Corrupt(String),
}

/// Checks an upload by content and returns a copy that is safe to store (see the module docs).
///
/// Never panics, whatever the bytes: a panic inside an image decoder is caught and reported as
/// [`MediaError::Corrupt`]. Synchronous and CPU-bound: run it on a blocking thread.
pub fn sanitise(bytes: &[u8], limits: &MediaLimits) -> Result<Sanitised, MediaError> {
    // Decoders are fuzzed upstream but not proven; one malicious photo must not take a worker down.
    catch_unwind(AssertUnwindSafe(|| sanitise_unguarded(bytes, limits))).unwrap_or_else(|_| {
        Err(MediaError::Corrupt(
            "the image decoder could not read this file".into(),
        ))
    })
}

fn sanitise_unguarded(bytes: &[u8], limits: &MediaLimits) -> Result<Sanitised, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let kind = sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    match kind {
        MediaKind::Pdf => {
            sniff::check_pdf(bytes)?;
            Ok(Sanitised {
                kind,
                bytes: bytes.to_vec(),
                thumbnail: None,
                width: None,
                height: None,
            })
        }
        MediaKind::Jpeg | MediaKind::Png | MediaKind::Webp => {
            let photo = photo::Photo::sanitise(kind, bytes, limits)?;
            Ok(Sanitised {
                kind,
                width: Some(photo.width),
                height: Some(photo.height),
                bytes: photo.bytes,
                thumbnail: Some(photo.thumbnail),
            })
        }
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests;
