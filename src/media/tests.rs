//! What a citizen's upload turns into: the behaviour of [`sanitise`] end to end.

use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, ImageFormat};
use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::{CHUNK_EXIF, CHUNK_ICCP, CHUNK_VP8X, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF, ImageICC};
use proptest::prelude::*;

use super::fixtures::*;
use super::*;

fn limits() -> MediaLimits {
    MediaLimits::default()
}

/// Colour distance small enough for JPEG's loss, far too small to confuse red and blue.
fn near(actual: [u8; 3], expected: [u8; 3]) -> bool {
    actual
        .iter()
        .zip(expected)
        .all(|(a, e)| a.abs_diff(e) <= 40)
}

fn rgb_at(image: &DynamicImage, x: u32, y: u32) -> [u8; 3] {
    let [r, g, b, _] = image.get_pixel(x, y).0;
    [r, g, b]
}

#[test]
fn a_phone_jpeg_is_turned_upright_and_loses_gps_and_all_metadata() {
    // 64×32 landscape as stored; Orientation 6 says "rotate 90° clockwise to view".
    let original = jpeg_with_metadata(&jpeg(&marked(64, 32, 16)), exif(6));
    assert!(contains(&original, b"Exif\0\0") && contains(&original, &GPS_IFD_ENTRY));

    let out = sanitise(&original, &limits()).unwrap();

    assert_eq!(out.kind, MediaKind::Jpeg);
    assert_no_metadata(&out.bytes);
    let file = Jpeg::from_bytes(Bytes::from(out.bytes.clone())).unwrap();
    let markers_left: Vec<u8> = file.segments().iter().map(|s| s.marker()).collect();
    for marker in [markers::APP1, markers::APP2, markers::COM] {
        assert!(
            !markers_left.contains(&marker),
            "{marker:#x} in {markers_left:x?}"
        );
    }
    assert!(file.exif().is_none() && file.icc_profile().is_none());

    assert_eq!((out.width, out.height), (Some(32), Some(64)));
    let upright = decode(&out.bytes, ImageFormat::Jpeg);
    assert_eq!(upright.dimensions(), (32, 64));
    // The stored top-left corner is the viewer's top-right after a clockwise quarter turn.
    assert!(
        near(rgb_at(&upright, 24, 8), RED),
        "{:?}",
        rgb_at(&upright, 24, 8)
    );
    for (x, y) in [(8, 8), (8, 56), (24, 56)] {
        assert!(near(rgb_at(&upright, x, y), BLUE), "({x},{y})");
    }

    // The thumbnail is made from the upright image too.
    let thumb = decode(out.thumbnail.as_deref().unwrap(), ImageFormat::Jpeg);
    assert_eq!(thumb.dimensions(), (32, 64));
    assert!(near(rgb_at(&thumb, 24, 8), RED));
    assert_no_metadata(out.thumbnail.as_deref().unwrap());
}

#[test]
fn a_jpeg_without_orientation_keeps_its_shape() {
    let original = jpeg_with_metadata(&jpeg(&marked(64, 32, 16)), exif(1));
    let out = sanitise(&original, &limits()).unwrap();
    assert_no_metadata(&out.bytes);
    let image = decode(&out.bytes, ImageFormat::Jpeg);
    assert_eq!(image.dimensions(), (64, 32));
    assert!(near(rgb_at(&image, 8, 8), RED));
}

#[test]
fn png_text_exif_and_xmp_chunks_are_removed() {
    let original = png_with_metadata(&png(&DynamicImage::ImageRgb8(marked(40, 20, 10))), exif(1));
    let out = sanitise(&original, &limits()).unwrap();

    assert_eq!(out.kind, MediaKind::Png);
    assert_no_metadata(&out.bytes);
    let file = Png::from_bytes(Bytes::from(out.bytes.clone())).unwrap();
    let kinds: Vec<[u8; 4]> = file.chunks().iter().map(|c| c.kind()).collect();
    for kind in &kinds {
        assert!(
            [*b"IHDR", *b"PLTE", *b"IDAT", *b"IEND"].contains(kind),
            "chunk {} survived",
            String::from_utf8_lossy(kind)
        );
    }
    // Lossless: the pixels are exactly the original ones.
    let original_pixels = decode(&original, ImageFormat::Png).to_rgb8();
    assert_eq!(
        decode(&out.bytes, ImageFormat::Png).to_rgb8(),
        original_pixels
    );
}

#[test]
fn every_exif_orientation_is_applied_to_png_pixels() {
    // (orientation, upright size, where the stored top-left corner ends up)
    let cases = [
        (1, (40, 20), (0, 0)),
        (2, (40, 20), (39, 0)),
        (3, (40, 20), (39, 19)),
        (4, (40, 20), (0, 19)),
        (5, (20, 40), (0, 0)),
        (6, (20, 40), (19, 0)),
        (7, (20, 40), (19, 39)),
        (8, (20, 40), (0, 39)),
    ];
    let plain = png(&DynamicImage::ImageRgb8(marked(40, 20, 4)));
    for (orientation, size, (x, y)) in cases {
        let out = sanitise(&png_with_metadata(&plain, exif(orientation)), &limits()).unwrap();
        let image = decode(&out.bytes, ImageFormat::Png);
        assert_eq!(image.dimensions(), size, "orientation {orientation}");
        assert_eq!(rgb_at(&image, x, y), RED, "orientation {orientation}");
        let red = image.to_rgb8().pixels().filter(|p| p.0 == RED).count();
        assert_eq!(red, 16, "orientation {orientation}");
    }
}

#[test]
fn webp_exif_xmp_and_icc_chunks_are_stripped_and_pixels_kept() {
    let image = DynamicImage::ImageRgb8(marked(40, 20, 10));
    let original = webp_with_metadata(&webp(&image), exif(1));
    let file = WebP::from_bytes(Bytes::from(original.clone())).unwrap();
    assert!(file.has_chunk(CHUNK_EXIF) && file.has_chunk(CHUNK_XMP) && file.has_chunk(CHUNK_ICCP));

    let out = sanitise(&original, &limits()).unwrap();

    assert_eq!(out.kind, MediaKind::Webp);
    assert_no_metadata(&out.bytes);
    let file = WebP::from_bytes(Bytes::from(out.bytes.clone())).unwrap();
    for chunk in [CHUNK_EXIF, CHUNK_XMP, CHUNK_ICCP] {
        assert!(!file.has_chunk(chunk));
    }
    if let Some(vp8x) = file.chunk_by_id(CHUNK_VP8X) {
        let flags = vp8x.content().data().unwrap()[0];
        assert_eq!(
            flags & 0b0010_1100,
            0,
            "metadata flags left set: {flags:#010b}"
        );
    }
    assert_eq!(
        decode(&out.bytes, ImageFormat::WebP).to_rgb8(),
        image.to_rgb8()
    );
    assert_eq!((out.width, out.height), (Some(40), Some(20)));
}

#[test]
fn a_rotated_webp_is_re_encoded_upright() {
    let original = webp_with_metadata(&webp(&DynamicImage::ImageRgb8(marked(40, 20, 4))), exif(6));
    let out = sanitise(&original, &limits()).unwrap();
    assert_no_metadata(&out.bytes);
    let image = decode(&out.bytes, ImageFormat::WebP);
    assert_eq!(image.dimensions(), (20, 40));
    assert_eq!(rgb_at(&image, 19, 0), RED);
}

#[test]
fn a_pdf_named_like_a_photo_is_a_pdf_kept_as_is_without_thumbnail() {
    // What a client might send as "IMG_0001.jpg", Content-Type: image/jpeg.
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    assert_eq!(sniff(pdf), Some(MediaKind::Pdf));
    let out = sanitise(pdf, &limits()).unwrap();
    assert_eq!(out.kind, MediaKind::Pdf);
    assert_eq!(out.kind.mime(), "application/pdf");
    assert_eq!(out.bytes, pdf);
    assert_eq!(out.thumbnail, None);
    assert_eq!((out.width, out.height), (None, None));
}

#[test]
fn a_truncated_pdf_is_corrupt() {
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrai";
    assert!(matches!(
        sanitise(pdf, &limits()),
        Err(MediaError::Corrupt(_))
    ));
}

#[test]
fn other_types_are_refused_whatever_they_are_called() {
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(sniff(&random), None);
    assert_eq!(
        sanitise(&random, &limits()),
        Err(MediaError::UnsupportedType)
    );
    assert_eq!(sanitise(b"", &limits()), Err(MediaError::UnsupportedType));
    assert_eq!(
        sanitise(b"GIF89a\x01\x00\x01\x00\x80\x00\x00", &limits()),
        Err(MediaError::UnsupportedType)
    );
}

#[test]
fn a_truncated_jpeg_is_corrupt() {
    let whole = jpeg(&gradient(128, 96));
    for cut in [whole.len() / 2, whole.len() - 10, 200, 20, 4] {
        let result = sanitise(&whole[..cut], &limits());
        assert!(
            matches!(result, Err(MediaError::Corrupt(_))),
            "cut at {cut} of {}: {result:?}",
            whole.len()
        );
    }
}

#[test]
fn truncated_png_and_webp_are_corrupt() {
    let image = DynamicImage::ImageRgb8(gradient(64, 48));
    for whole in [png(&image), webp(&image)] {
        for cut in [whole.len() / 2, whole.len() - 5, 30, 13] {
            let result = sanitise(&whole[..cut], &limits());
            assert!(matches!(result, Err(MediaError::Corrupt(_))), "{result:?}");
        }
    }
}

#[test]
fn a_png_header_claiming_ten_gigapixels_is_refused_before_decoding() {
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let result = sanitise(&bomb, &limits());
    assert_eq!(result, Err(MediaError::TooManyPixels { limit: 40_000_000 }));
    // Decoding (or even allocating) 10^10 pixels would take far longer than this.
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_jpeg_header_claiming_four_gigapixels_is_refused() {
    let started = Instant::now();
    assert_eq!(
        sanitise(&jpeg_claiming(65_535, 65_535), &limits()),
        Err(MediaError::TooManyPixels { limit: 40_000_000 })
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn the_pixel_limit_is_configurable_and_applies_to_every_image_kind() {
    let small = MediaLimits {
        max_pixels: 40 * 20 - 1,
        ..MediaLimits::default()
    };
    let image = DynamicImage::ImageRgb8(marked(40, 20, 4));
    for bytes in [jpeg(&marked(40, 20, 4)), png(&image), webp(&image)] {
        assert_eq!(
            sanitise(&bytes, &small),
            Err(MediaError::TooManyPixels { limit: 799 })
        );
        let exact = MediaLimits {
            max_pixels: 800,
            ..small
        };
        assert!(sanitise(&bytes, &exact).is_ok());
    }
}

#[test]
fn files_over_the_size_limit_are_refused_before_anything_else() {
    let limits = MediaLimits {
        max_bytes: 1000,
        ..MediaLimits::default()
    };
    assert_eq!(
        sanitise(&vec![0u8; 1001], &limits),
        Err(MediaError::TooLarge { limit: 1000 })
    );
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(994, b' ');
    pdf.extend_from_slice(b"%%EOF\n");
    assert_eq!(pdf.len(), 1000);
    assert!(sanitise(&pdf, &limits).is_ok());
    pdf.push(b'\n');
    assert_eq!(
        sanitise(&pdf, &limits),
        Err(MediaError::TooLarge { limit: 1000 })
    );
    assert_eq!(MediaLimits::default().max_bytes, 10 * 1024 * 1024);
}

#[test]
fn thumbnails_fit_in_320_pixels_and_small_images_are_not_upscaled() {
    let cases = [
        ((1000, 600), (320, 192)),
        ((600, 1000), (192, 320)),
        ((321, 321), (320, 320)),
        ((320, 100), (320, 100)),
        ((100, 50), (100, 50)),
        ((1, 1), (1, 1)),
    ];
    for ((w, h), expected) in cases {
        let out = sanitise(&jpeg(&gradient(w, h)), &limits()).unwrap();
        assert_eq!((out.width, out.height), (Some(w), Some(h)));
        let thumb = out.thumbnail.unwrap();
        assert!(thumb.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_eq!(
            decode(&thumb, ImageFormat::Jpeg).dimensions(),
            expected,
            "{w}×{h}"
        );
    }
}

#[test]
fn thumbnails_of_transparent_images_are_jpeg_on_white() {
    let out = sanitise(&transparent_png(400, 200), &limits()).unwrap();
    assert_eq!(out.kind, MediaKind::Png);
    // The original keeps its transparency.
    let image = decode(&out.bytes, ImageFormat::Png);
    assert_eq!(image.get_pixel(10, 10).0[3], 0);
    let thumb = decode(out.thumbnail.as_deref().unwrap(), ImageFormat::Jpeg);
    assert_eq!(thumb.dimensions(), (320, 160));
    assert!(near(rgb_at(&thumb, 40, 80), [255, 255, 255]));
    assert!(near(rgb_at(&thumb, 280, 80), RED));
}

#[test]
fn kinds_name_their_mime_type_and_extension() {
    let all = [
        (MediaKind::Jpeg, "image/jpeg", "jpg"),
        (MediaKind::Png, "image/png", "png"),
        (MediaKind::Webp, "image/webp", "webp"),
        (MediaKind::Pdf, "application/pdf", "pdf"),
    ];
    for (kind, mime, extension) in all {
        assert_eq!(kind.mime(), mime);
        assert_eq!(kind.extension(), extension);
        assert_eq!(kind.is_image(), kind != MediaKind::Pdf);
    }
    assert_eq!(THUMBNAIL_MIME, MediaKind::Jpeg.mime());
}

#[test]
fn settings_deserialise_strictly_and_give_the_limits() {
    let settings: MediaSettings = serde_json::from_value(serde_json::json!({
        "store": "local", "local_dir": "data/uploads", "max_bytes": 2048,
        "max_pixels": 1000, "max_per_ticket": 3
    }))
    .unwrap();
    assert_eq!(
        settings.limits(),
        MediaLimits {
            max_bytes: 2048,
            max_pixels: 1000
        }
    );
    assert!(
        serde_json::from_value::<MediaSettings>(serde_json::json!({
            "store": "local", "local_dir": "d", "max_bytes": 1, "max_pixels": 1,
            "max_per_ticket": 1, "max_size": 5
        }))
        .is_err()
    );
}

/// Valid small files of every image kind, to be damaged by the property tests below.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let image = DynamicImage::ImageRgb8(gradient(24, 16));
        vec![
            jpeg_with_metadata(&jpeg(&gradient(24, 16)), exif(6)),
            png_with_metadata(&png(&image), exif(3)),
            webp_with_metadata(&webp(&image), exif(1)),
        ]
    })
}

fn damage_limits() -> MediaLimits {
    // A flipped header byte may claim a big image; keep each case fast.
    MediaLimits {
        max_pixels: 1_000_000,
        ..MediaLimits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Without the panic guard: the decoders themselves must cope with damaged files.
    #[test]
    fn damaged_photos_never_panic(
        seed in 0usize..3,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = seeds()[seed].clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = sanitise_unguarded(&bytes, &damage_limits());
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_magic_never_panic(
        magic in prop::sample::select(vec![
            &b"\xFF\xD8\xFF"[..], b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"%PDF-",
        ]),
        rest in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&rest);
        let _ = sanitise_unguarded(&bytes, &damage_limits());
    }
}

#[test]
fn sanitised_output_is_stable_when_sanitised_again() {
    // A clean file passes through again: nothing in our own output is refused.
    let first = sanitise(
        &jpeg_with_metadata(&jpeg(&marked(64, 32, 16)), exif(6)),
        &limits(),
    )
    .unwrap();
    let second = sanitise(&first.bytes, &limits()).unwrap();
    assert_eq!((second.width, second.height), (Some(32), Some(64)));
}
