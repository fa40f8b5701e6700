//! What a file is, from its first bytes: the name and the declared type are the client's word.

use super::{MediaError, MediaKind};

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const PDF_MAGIC: &[u8] = b"%PDF-";
/// Acrobat's own rule: the end-of-file marker lies within the last 1024 bytes.
const PDF_TRAILER_WINDOW: usize = 1024;

/// The kind of `bytes` by magic number, or `None` for anything we do not accept.
///
/// Only says what the file claims to be; [`super::sanitise`] then checks that it really is.
pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
    if bytes.starts_with(JPEG_MAGIC) {
        Some(MediaKind::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Some(MediaKind::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(MediaKind::Webp)
    } else if bytes.starts_with(PDF_MAGIC) {
        Some(MediaKind::Pdf)
    } else {
        None
    }
}

/// A PDF is kept byte for byte, so only its frame is checked: `%PDF-<major>.<minor>` at the
/// start and `%%EOF` near the end (a cut-off upload has none).
pub(super) fn check_pdf(bytes: &[u8]) -> Result<(), MediaError> {
    let version = bytes.get(PDF_MAGIC.len()..PDF_MAGIC.len() + 3);
    let well_formed = matches!(version, Some([major, b'.', minor])
        if major.is_ascii_digit() && minor.is_ascii_digit());
    if !well_formed {
        return Err(MediaError::Corrupt(
            "the PDF header has no version number".into(),
        ));
    }
    let tail = &bytes[bytes.len().saturating_sub(PDF_TRAILER_WINDOW)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(MediaError::Corrupt(
            "the PDF has no end-of-file marker (incomplete upload?)".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_by_their_magic_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(MediaKind::Jpeg));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaKind::Png)
        );
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(MediaKind::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(MediaKind::Pdf));
    }

    #[test]
    fn look_alikes_and_other_types_are_not_accepted() {
        for bytes in [
            &b""[..],
            b"\xFF\xD8",                   // too short for a JPEG
            b"RIFF\x24\0\0\0WAVEfmt ",     // a RIFF, but audio
            b"GIF89a\x01\0\x01\0",         // GIF is not on the list
            b"<svg xmlns=\"http://www.w3", // SVG can carry scripts
            b"II*\0\x08\0\0\0",            // TIFF
            b" %PDF-1.7",                  // a PDF must start at byte 0
            b"PK\x03\x04",                 // a zip (docx, apk …)
        ] {
            assert_eq!(sniff(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn a_pdf_needs_a_version_and_an_end_marker() {
        assert!(check_pdf(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n").is_ok());
        assert!(matches!(
            check_pdf(b"%PDF-\n%%EOF"),
            Err(MediaError::Corrupt(_))
        ));
        assert!(matches!(
            check_pdf(b"%PDF-1.4\n1 0 obj\n<<>>\nend"),
            Err(MediaError::Corrupt(_))
        ));
    }
}
