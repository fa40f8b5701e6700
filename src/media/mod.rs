//! Citizen uploads: what a file really is ([`sniff`]), a clean copy of it ([`sanitise`]) and
//! where its bytes live ([`MediaStore`]).
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
mod store;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

pub use sniff::sniff;
pub use store::{MediaStore, StoreError};

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

impl From<&MediaSettings> for MediaLimits {
    fn from(settings: &MediaSettings) -> Self {
        Self {
            max_bytes: settings.max_bytes,
            max_pixels: settings.max_pixels,
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

/// `[media]` in the configuration.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// `local` (a directory, the default) or `s3` (any S3-compatible service, see `s3`).
    pub store: String,
    /// Directory of the local store, relative to the working directory; created if missing.
    pub local_dir: String,
    pub max_bytes: usize,
    pub max_pixels: u64,
    /// How many attachments one ticket may carry (enforced by the uploads API).
    pub max_per_ticket: u32,
    /// Required when `store = "s3"`.
    #[serde(default)]
    pub s3: Option<S3Settings>,
}

impl Default for MediaSettings {
    fn default() -> Self {
        let limits = MediaLimits::default();
        Self {
            store: "local".into(),
            local_dir: "data/uploads".into(),
            max_bytes: limits.max_bytes,
            max_pixels: limits.max_pixels,
            max_per_ticket: 6,
            s3: None,
        }
    }
}

impl MediaSettings {
    pub fn limits(&self) -> MediaLimits {
        MediaLimits::from(self)
    }

    /// Checks what types alone cannot; the error names the key (`media.…`).
    pub fn validate(&self) -> Result<(), InvalidMediaSettings> {
        let invalid = |key, message: &str| {
            Err(InvalidMediaSettings {
                key,
                message: message.to_string(),
            })
        };
        match (self.store.as_str(), &self.s3) {
            ("local", _) if self.local_dir.trim().is_empty() => {
                return invalid("media.local_dir", "must name a directory");
            }
            ("local", _) => {}
            ("s3", None) => return invalid("media.s3", "is required when media.store = \"s3\""),
            ("s3", Some(s3)) if s3.bucket.trim().is_empty() => {
                return invalid("media.s3.bucket", "must not be empty");
            }
            ("s3", Some(_)) => {}
            (other, _) => {
                return invalid("media.store", &format!("`{other}` is not one of local, s3"));
            }
        }
        if self.max_bytes == 0 {
            return invalid("media.max_bytes", "must be at least 1");
        }
        if self.max_pixels == 0 {
            return invalid("media.max_pixels", "must be at least 1");
        }
        if self.max_per_ticket == 0 {
            return invalid("media.max_per_ticket", "must be at least 1");
        }
        Ok(())
    }
}

/// A `[media]` setting that cannot work, by key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct InvalidMediaSettings {
    pub key: &'static str,
    pub message: String,
}

/// `[media.s3]`: an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage …). Credentials left unset
/// here are taken from the standard `AWS_*` environment variables (or the instance's role).
#[derive(Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// e.g. `http://127.0.0.1:9000` for MinIO; unset means AWS itself.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// **Secret**: set it through `NGHEDAN__MEDIA__S3__SECRET_ACCESS_KEY` or `AWS_SECRET_ACCESS_KEY`.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// Allow a plain-HTTP endpoint (a local MinIO); never for a remote service.
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
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
