//! A photo made safe: decoded under limits, turned upright, written again without metadata,
//! and shrunk to a thumbnail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};
use img_parts::riff::RiffContent;
use img_parts::webp::{
    CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_VP8, CHUNK_VP8L, CHUNK_VP8X, WebP,
};

use super::{MediaError, MediaKind, MediaLimits, THUMBNAIL_MAX_SIDE};

/// Quality of a re-encoded JPEG photo: visually lossless for phone photos at a sane size.
const JPEG_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 80;
/// Decoder working memory on top of the output buffer (Huffman tables, row buffers, chunks).
const DECODER_HEADROOM_BYTES: u64 = 64 * 1024 * 1024;
/// The widest pixel the decoders produce (RGBA, 16 bits per channel).
const MAX_BYTES_PER_PIXEL: u64 = 8;

/// The WebP chunks that hold pixels or animation; everything else (EXIF, XMP, ICCP, unknown) goes.
const WEBP_PIXEL_CHUNKS: [[u8; 4]; 6] = [
    CHUNK_VP8X, CHUNK_VP8, CHUNK_VP8L, CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF,
];
/// VP8X flag bits that announce the metadata chunks removed above.
const VP8X_ICC: u8 = 0b0010_0000;
const VP8X_EXIF: u8 = 0b0000_1000;
const VP8X_XMP: u8 = 0b0000_0100;

pub(super) struct Photo {
    pub bytes: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Photo {
    /// `kind` must be an image kind (the caller sniffed it); `bytes` is the upload.
    pub fn sanitise(
        kind: MediaKind,
        bytes: &[u8],
        limits: &MediaLimits,
    ) -> Result<Photo, MediaError> {
        let format = match kind {
            MediaKind::Jpeg => ImageFormat::Jpeg,
            MediaKind::Png => ImageFormat::Png,
            MediaKind::Webp => ImageFormat::WebP,
            MediaKind::Pdf => return Err(MediaError::UnsupportedType),
        };
        let (image, orientation) = decode_upright(format, bytes, limits)?;
        let clean = match kind {
            MediaKind::Png => encode_png(&image)?,
            // Without a rotation to apply, the original bitstream is kept: no generation loss
            // and no lossless blow-up of a lossy photo.
            MediaKind::Webp if orientation == Orientation::NoTransforms => {
                match strip_webp_metadata(bytes) {
                    Some(stripped) => stripped,
                    None => encode_webp(&image)?,
                }
            }
            MediaKind::Webp => encode_webp(&image)?,
            _ => encode_jpeg(&image, JPEG_QUALITY)?,
        };
        Ok(Photo {
            bytes: clean,
            thumbnail: thumbnail(&image)?,
            width: image.width(),
            height: image.height(),
        })
    }
}

/// Decodes the whole image, refusing oversized ones from the header alone, and applies the
/// EXIF orientation to the pixels. Returns the orientation that was applied.
fn decode_upright(
    format: ImageFormat,
    bytes: &[u8],
    limits: &MediaLimits,
) -> Result<(DynamicImage, Orientation), MediaError> {
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(MAX_BYTES_PER_PIXEL)
            .saturating_add(DECODER_HEADROOM_BYTES),
    );
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits.clone());
    // Reads the header only: no pixel buffer exists yet.
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, limits))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            limit: limits.max_pixels,
        });
    }
    if format == ImageFormat::Jpeg && !jpeg_reaches_its_end(bytes) {
        // The JPEG decoder hides a cut-off scan by painting the rest grey; we refuse instead.
        return Err(MediaError::Corrupt(
            "the JPEG stops before its end marker (incomplete upload?)".into(),
        ));
    }
    // Broken metadata must not cost the citizen their photo: it is thrown away anyway.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    decoder_limits
        .reserve(decoder.total_bytes())
        .map_err(|e| decode_error(e, limits))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, limits))?;
    image.apply_orientation(orientation);
    Ok((image, orientation))
}

/// Walks the JPEG marker structure from SOI to EOI, skipping each segment by its length and
/// each scan's entropy-coded data. `false` if the bytes end first: an EOI inside an embedded
/// EXIF thumbnail does not count, and data after the EOI (camera trailers) is ignored.
fn jpeg_reaches_its_end(bytes: &[u8]) -> bool {
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    let is_standalone = |marker: u8| matches!(marker, 0x01 | 0xD0..=0xD7);
    let mut i = 2; // after SOI
    loop {
        // Tolerate stray bytes and fill bytes before a marker, as decoders do.
        while bytes.get(i).is_some_and(|&b| b != 0xFF) {
            i += 1;
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        if marker == EOI {
            return true;
        }
        if marker == 0x00 || is_standalone(marker) {
            continue;
        }
        let Some(&[high, low]) = bytes.get(i..i + 2) else {
            return false;
        };
        i += usize::from(u16::from_be_bytes([high, low]));
        if i > bytes.len() {
            return false;
        }
        if marker == SOS {
            // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart marker.
            loop {
                let Some(at) = bytes[i..].iter().position(|&b| b == 0xFF) else {
                    return false;
                };
                i += at;
                match bytes.get(i + 1) {
                    None => return false,
                    Some(&next) if next == 0x00 || is_standalone(next) => i += 2,
                    Some(_) => break,
                }
            }
        }
    }
}

fn decode_error(error: ImageError, limits: &MediaLimits) -> MediaError {
    match error {
        ImageError::Limits(_) => MediaError::TooManyPixels {
            limit: limits.max_pixels,
        },
        other => MediaError::Corrupt(other.to_string()),
    }
}

fn encode_error(error: ImageError) -> MediaError {
    // Encoding a decoded image into memory cannot fail for a reason the citizen controls, but
    // an error here must still not become a panic.
    MediaError::Corrupt(format!("the image could not be written again: {error}"))
}

/// Baseline JPEG with a JFIF header and nothing else: no APPn metadata, no comment.
fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(encode_error)?;
    Ok(out)
}

/// IHDR, IDAT and IEND only (PLTE when needed): no text, eXIf, iCCP or time chunks.
fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive);
    image.write_with_encoder(encoder).map_err(encode_error)?;
    Ok(out)
}

/// The `image` crate writes WebP losslessly only: exact pixels, larger files.
fn encode_webp(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    image
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .map_err(encode_error)?;
    Ok(out)
}

/// Rebuilds the RIFF container with the pixel chunks only and clears the VP8X flags of the
/// dropped metadata. `None` if the container cannot be rebuilt; the caller then re-encodes.
fn strip_webp_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut webp = WebP::from_bytes(bytes.to_vec().into()).ok()?;
    let dimensions = webp.dimensions();
    webp.chunks_mut()
        .retain(|chunk| WEBP_PIXEL_CHUNKS.contains(&chunk.id()));
    for chunk in webp.chunks_mut() {
        if chunk.id() != CHUNK_VP8X {
            continue;
        }
        if let RiffContent::Data(data) = chunk.content_mut() {
            let mut header = data.to_vec();
            let flags = header.first_mut()?;
            *flags &= !(VP8X_ICC | VP8X_EXIF | VP8X_XMP);
            *data = header.into();
        }
    }
    let stripped = webp.encoder().bytes().to_vec();
    // The result must still be a WebP of the same size, or it is not used.
    let reread = ImageReader::with_format(Cursor::new(&stripped), ImageFormat::WebP)
        .into_dimensions()
        .ok()?;
    (Some(reread) == dimensions).then_some(stripped)
}

/// A JPEG whose longest side is [`THUMBNAIL_MAX_SIDE`]; smaller images keep their size.
/// Transparent areas are shown on white, as a browser would show the original on a page.
fn thumbnail(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let small;
    let fitted = if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        small = image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE);
        &small
    } else {
        image
    };
    let opaque = if fitted.color().has_alpha() {
        on_white(fitted)
    } else {
        fitted.to_rgb8()
    };
    encode_jpeg(&DynamicImage::ImageRgb8(opaque), THUMBNAIL_QUALITY)
}

fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            // Rounded c·a + 255·(1 − a), all in 0..=255.
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{exif, jpeg, jpeg_with_metadata, marked};
    use super::*;

    fn photo_with_exif_thumbnail() -> Vec<u8> {
        // Phones embed a small JPEG (with its own end marker) inside the EXIF block.
        let mut exif = exif(1);
        exif.extend_from_slice(&jpeg(&marked(8, 8, 4)));
        jpeg_with_metadata(&jpeg(&marked(96, 64, 16)), exif)
    }

    #[test]
    fn a_complete_jpeg_reaches_its_end_marker() {
        assert!(jpeg_reaches_its_end(&jpeg(&marked(96, 64, 16))));
        assert!(jpeg_reaches_its_end(&photo_with_exif_thumbnail()));
    }

    #[test]
    fn the_end_marker_of_an_embedded_thumbnail_does_not_count() {
        let whole = photo_with_exif_thumbnail();
        let scan = whole.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
        for cut in [scan + 20, whole.len() - 2, whole.len() - 1] {
            assert!(!jpeg_reaches_its_end(&whole[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn data_after_the_end_marker_is_tolerated() {
        // Motion photos and some cameras append data after the JPEG's end.
        let mut bytes = jpeg(&marked(96, 64, 16));
        bytes.extend_from_slice(b"\0\0\0\x18ftypmp42 trailing video");
        assert!(jpeg_reaches_its_end(&bytes));
        let out = Photo::sanitise(MediaKind::Jpeg, &bytes, &MediaLimits::default()).unwrap();
        assert!(!out.bytes.ends_with(b"trailing video"));
        assert_eq!((out.width, out.height), (96, 64));
    }
}
