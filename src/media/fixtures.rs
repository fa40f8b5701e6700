//! Test photos built in memory: what a phone sends, metadata and all.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{CHUNK_VP8X, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF, ImageICC};

pub const RED: [u8; 3] = [230, 20, 20];
pub const BLUE: [u8; 3] = [20, 40, 230];

/// The GPS IFD pointer entry of IFD0, little-endian: tag 0x8825, type LONG, count 1.
pub const GPS_IFD_ENTRY: [u8; 8] = [0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00];
/// Where the photo was taken: 21°1'42.12" N, 105°51'12.34" E (Hoàn Kiếm, Hà Nội).
const LATITUDE: [(u32, u32); 3] = [(21, 1), (1, 1), (4212, 100)];
const LONGITUDE: [(u32, u32); 3] = [(105, 1), (51, 1), (1234, 100)];
/// A device name as cameras write it, to be found nowhere after sanitising.
pub const CAMERA: &[u8] = b"Nghedan-Phone-X1";
pub const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>21,1.702N\
</exif:GPSLatitude></x:xmpmeta>";
pub const ICC: &[u8] = b"fake-icc-profile-owned-by-someone";

/// Blue, with a `corner`×`corner` red square at the top-left: shows where the top-left went.
pub fn marked(width: u32, height: u32, corner: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < corner && y < corner {
            Rgb(RED)
        } else {
            Rgb(BLUE)
        }
    })
}

/// Noise-free but detailed content, so that a JPEG of it is not trivially small.
pub fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x ^ y) & 0xFF) as u8,
        ])
    })
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 95))
        .unwrap();
    out
}

pub fn png(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    out
}

pub fn webp(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .unwrap();
    out
}

pub fn transparent_png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([RED[0], RED[1], RED[2], 255])
        }
    });
    png(&DynamicImage::ImageRgba8(image))
}

/// A raw EXIF (TIFF, little-endian) block as a phone writes it: IFD0 with Orientation, Model
/// and a pointer to a GPS IFD holding latitude and longitude.
pub fn exif(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;

    let ifd0 = 8u32;
    let ifd0_len = 2 + 3 * 12 + 4;
    let gps_ifd = ifd0 + ifd0_len;
    let gps_ifd_len = 2 + 4 * 12 + 4;
    let model = gps_ifd + gps_ifd_len;
    let latitude = model + CAMERA.len() as u32 + 1;
    let longitude = latitude + 24;

    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&ifd0.to_le_bytes());

    out.extend_from_slice(&3u16.to_le_bytes());
    entry(
        &mut out,
        0x0110, // Model
        ASCII,
        CAMERA.len() as u32 + 1,
        model.to_le_bytes(),
    );
    let [o0, o1] = orientation.to_le_bytes();
    entry(&mut out, 0x0112, SHORT, 1, [o0, o1, 0, 0]);
    entry(&mut out, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());

    out.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut out, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut out, 0x0002, RATIONAL, 3, latitude.to_le_bytes());
    entry(&mut out, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut out, 0x0004, RATIONAL, 3, longitude.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());

    out.extend_from_slice(CAMERA);
    out.push(0);
    out.extend_from_slice(&latitude_bytes());
    for (numerator, denominator) in LONGITUDE {
        out.extend_from_slice(&numerator.to_le_bytes());
        out.extend_from_slice(&denominator.to_le_bytes());
    }
    out
}

/// The latitude rationals as stored in [`exif`]: a coordinate found anywhere means a leak.
pub fn latitude_bytes() -> Vec<u8> {
    LATITUDE
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect()
}

/// Adds an APP1 EXIF segment, an APP1 XMP segment, an APP2 ICC profile and a comment.
pub fn jpeg_with_metadata(jpeg: &[u8], exif: Vec<u8>) -> Vec<u8> {
    use img_parts::jpeg::{Jpeg, JpegSegment, markers};
    let mut file = Jpeg::from_bytes(Bytes::copy_from_slice(jpeg)).unwrap();
    file.set_exif(Some(exif.into()));
    file.set_icc_profile(Some(Bytes::from_static(ICC)));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(XMP);
    let segments = file.segments_mut();
    segments.insert(1, JpegSegment::new_with_contents(markers::APP1, xmp.into()));
    segments.insert(
        1,
        JpegSegment::new_with_contents(markers::COM, Bytes::from_static(CAMERA)),
    );
    file.encoder().bytes().to_vec()
}

/// Adds an eXIf chunk, an iCCP-free text comment and an iTXt XMP packet.
pub fn png_with_metadata(png: &[u8], exif: Vec<u8>) -> Vec<u8> {
    let mut file = Png::from_bytes(Bytes::copy_from_slice(png)).unwrap();
    file.set_exif(Some(exif.into()));
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(CAMERA);
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend_from_slice(XMP);
    let chunks = file.chunks_mut();
    chunks.insert(1, PngChunk::new(*b"tEXt", text.into()));
    chunks.insert(1, PngChunk::new(*b"iTXt", itxt.into()));
    file.encoder().bytes().to_vec()
}

/// Adds EXIF, XMP and ICCP chunks and sets their VP8X flags, as a camera app would.
pub fn webp_with_metadata(webp: &[u8], exif: Vec<u8>) -> Vec<u8> {
    let mut file = WebP::from_bytes(Bytes::copy_from_slice(webp)).unwrap();
    file.set_icc_profile(Some(Bytes::from_static(ICC)));
    file.set_exif(Some(exif.into()));
    file.chunks_mut().push(RiffChunk::new(
        CHUNK_XMP,
        RiffContent::Data(Bytes::from_static(XMP)),
    ));
    for chunk in file.chunks_mut() {
        if chunk.id() == CHUNK_VP8X
            && let RiffContent::Data(data) = chunk.content_mut()
        {
            let mut header = data.to_vec();
            header[0] |= 0b0000_0100; // XMP present
            *data = header.into();
        }
    }
    file.encoder().bytes().to_vec()
}

/// The smallest valid PNG, then its IHDR rewritten to claim `width`×`height` (CRC fixed), so
/// that only the header lies: a decompression bomb's calling card.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(&DynamicImage::ImageRgb8(RgbImage::new(1, 1)));
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
    assert_eq!(&bytes[12..16], b"IHDR");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A small JPEG whose frame header (SOF0) claims `width`×`height`.
pub fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(&marked(16, 16, 8));
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG has SOF0");
    // Marker (2), length (2), precision (1), then height and width.
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

pub fn decode(bytes: &[u8], format: ImageFormat) -> DynamicImage {
    image::load_from_memory_with_format(bytes, format).unwrap()
}

/// `true` if `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Fails the test if any trace of the metadata written by the builders above is left.
pub fn assert_no_metadata(bytes: &[u8]) {
    for (what, needle) in [
        ("EXIF header", &b"Exif\0\0"[..]),
        ("TIFF header", b"II*\0"),
        ("GPS IFD entry", &GPS_IFD_ENTRY),
        ("GPS latitude", &latitude_bytes()),
        ("camera model", CAMERA),
        ("XMP packet", b"xmpmeta"),
        ("XMP namespace", b"http://ns.adobe.com/xap"),
        ("ICC profile", ICC),
    ] {
        assert!(!contains(bytes, needle), "{what} survived sanitising");
    }
}
