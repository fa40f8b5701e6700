//! Uploads: a phone's photo or a PDF, cleaned and stored, attached to tickets, and served only
//! to those who may see it.

use image::{GenericImageView, ImageFormat, Rgb, RgbImage};
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;
use nghedan::domain::account::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

const BOUNDARY: &str = "nghedan-test-7d9f4c1e";
/// 21°1'42.12" N as the EXIF rationals below store it: found anywhere, it is a leak.
const LATITUDE: [(u32, u32); 3] = [(21, 1), (1, 1), (4212, 100)];
const CAMERA: &[u8] = b"Nghedan-Phone-X1";
pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

pub(crate) fn latitude_bytes() -> Vec<u8> {
    LATITUDE
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect()
}

/// A little-endian EXIF block as a phone writes it: IFD0 with Model, Orientation and a GPS
/// IFD pointer; the GPS IFD with the latitude.
pub(crate) fn exif(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 2 + 3 * 12 + 4;
    let model = gps_ifd + 2 + 2 * 12 + 4;
    let latitude = model + CAMERA.len() as u32 + 1;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&ifd0.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes());
    entry(
        &mut out,
        0x0110,
        2,
        CAMERA.len() as u32 + 1,
        model.to_le_bytes(),
    );
    let [o0, o1] = orientation.to_le_bytes();
    entry(&mut out, 0x0112, 3, 1, [o0, o1, 0, 0]);
    entry(&mut out, 0x8825, 4, 1, gps_ifd.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut out, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut out, 0x0002, 5, 3, latitude.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(CAMERA);
    out.push(0);
    out.extend_from_slice(&latitude_bytes());
    out
}

/// A `width`×`height` blue JPEG with a red top-left corner, carrying `exif`.
pub(crate) fn phone_jpeg(width: u32, height: u32, exif: Vec<u8>) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        if x < width / 4 && y < height / 4 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 40, 230])
        }
    });
    let mut plain = Vec::new();
    image
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut plain, 90,
        ))
        .unwrap();
    let mut jpeg = Jpeg::from_bytes(plain.into()).unwrap();
    jpeg.set_exif(Some(exif.into()));
    jpeg.encoder().bytes().to_vec()
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A multipart/form-data body with one part.
fn form(name: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
         filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestApp {
    /// `POST /uploads` of `bytes` as the part `file`, with `key` as `Idempotency-Key`.
    async fn upload_as(
        &self,
        token: Option<&str>,
        key: Option<&str>,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Response {
        let mut req = self
            .client
            .post(self.url("/api/v1/uploads"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(form("file", file_name, content_type, bytes));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await.unwrap()
    }

    /// Uploads a photo (or any file) and returns the upload's id.
    pub(crate) async fn uploaded(&self, token: Option<&str>, bytes: &[u8]) -> String {
        let key = uuid::Uuid::new_v4().to_string();
        let res = self
            .upload_as(token, Some(&key), "photo.jpg", "image/jpeg", bytes)
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// A pothole in Phường Ninh Kiều with these attachments; returns the ticket.
    async fn pothole(&self, token: &str, attachments: &[&str]) -> Value {
        self.submit_ok(Some(token), &pothole(attachments)).await
    }

    /// GET `path` with an optional token and extra header.
    async fn fetch(
        &self,
        path: &str,
        token: Option<&str>,
        header: Option<(&str, &str)>,
    ) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        req.send().await.unwrap()
    }

    async fn publish(&self, token: &str, code: &str, id: &str, on: bool) -> Response {
        self.authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/attachments/{id}/publishable"),
            token,
        )
        .json(&json!({"publishable": on}))
        .send()
        .await
        .unwrap()
    }

    /// Files under the media directory (originals and thumbnails).
    fn stored_files(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            let p = e.path();
                            if p.is_dir() { count(&p) } else { 1 }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(self.media_dir.path())
    }
}

pub(crate) fn pothole(attachments: &[&str]) -> Value {
    json!({
        "kind": "feedback",
        "category": "duong-hong",
        "title": "Ổ gà trên đường 30/4",
        "description": "Ổ gà lớn trước số nhà 12, xe máy dễ ngã.",
        "area_code": "31135",
        "attributes": {"size": "small"},
        "attachments": attachments,
    })
}

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn a_phone_photo_is_stored_upright_without_gps_and_served_to_its_submitter() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    // 800×400 as stored; Orientation 6 says "turn a quarter clockwise to view": 400×800.
    let original = phone_jpeg(800, 400, exif(6));
    assert!(contains(&original, b"Exif\0\0") && contains(&original, &latitude_bytes()));

    let res = app
        .upload_as(
            Some(&citizen),
            Some("photo-key-0001"),
            "IMG_0001.jpg",
            "image/jpeg",
            &original,
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = header(&res, "location").to_string();
    let up: Value = res.json().await.unwrap();
    let id = up["id"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4),
        "{up}"
    );
    assert_eq!(location, format!("/api/v1/attachments/{id}"));
    assert_eq!(up["media_kind"], "jpeg");
    assert_eq!(
        (up["width"].as_i64(), up["height"].as_i64()),
        (Some(400), Some(800))
    );
    assert_eq!(up["thumbnail"], true);
    assert!(up["size_bytes"].as_i64().unwrap() > 0);
    assert_eq!(up["created_at"], "2026-11-23T02:00:00Z");

    let ticket = app.pothole(&citizen, &[id]).await;
    let attachment = &ticket["attachments"][0];
    assert_eq!(attachment["id"], id, "{ticket}");
    assert_eq!(attachment["url"], format!("/api/v1/attachments/{id}"));

    let res = app
        .fetch(attachment["url"].as_str().unwrap(), Some(&citizen), None)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&res, "cache-control"),
        "private, max-age=31536000, immutable"
    );
    assert_eq!(
        header(&res, "content-disposition"),
        format!("inline; filename=\"{id}.jpg\"")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(!contains(&bytes, b"Exif"), "EXIF survived");
    assert!(!contains(&bytes, &latitude_bytes()), "GPS survived");
    assert!(!contains(&bytes, CAMERA), "camera model survived");
    let photo = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(photo.dimensions(), (400, 800), "turned upright");
    // The stored top-left (red) is the viewer's top-right after a clockwise quarter turn.
    let [r, _, b, _] = photo.get_pixel(350, 50).0;
    assert!(r > 150 && b < 100, "({r}, {b})");

    let res = app
        .fetch(
            attachment["thumbnail_url"].as_str().unwrap(),
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let thumb = res.bytes().await.unwrap();
    assert!(!contains(&thumb, b"Exif") && !contains(&thumb, &latitude_bytes()));
    let thumb = image::load_from_memory_with_format(&thumb, ImageFormat::Jpeg).unwrap();
    assert_eq!(thumb.dimensions(), (160, 320));
}

#[tokio::test]
async fn a_pdf_is_known_by_its_content_and_only_ever_downloaded() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;

    // Named and declared as a photo: the content decides.
    let res = app
        .upload_as(
            Some(&citizen),
            Some("pdf-key-0001"),
            "photo.jpg",
            "image/jpeg",
            PDF,
        )
        .await;
    assert_eq!(res.status(), 201);
    let up: Value = res.json().await.unwrap();
    assert_eq!(up["media_kind"], "pdf");
    assert_eq!(up["thumbnail"], false);
    assert_eq!(up["width"], Value::Null);
    assert_eq!(up["size_bytes"], PDF.len());
    let id = up["id"].as_str().unwrap();

    // Before it is attached, its uploader may read it back.
    let res = app
        .fetch(&format!("/api/v1/attachments/{id}"), Some(&citizen), None)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/pdf");
    assert_eq!(
        header(&res, "content-disposition"),
        format!("attachment; filename=\"{id}.pdf\"")
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(res.bytes().await.unwrap(), PDF);
    let res = app
        .fetch(
            &format!("/api/v1/attachments/{id}/thumbnail"),
            Some(&citizen),
            None,
        )
        .await;
    assert_problem(res, 404, "attachment_not_found").await;

    // The same key and file again: the same upload, said to be a replay.
    let res = app
        .upload_as(
            Some(&citizen),
            Some("pdf-key-0001"),
            "other.pdf",
            "application/pdf",
            PDF,
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "idempotent-replayed"), "true");
    let again: Value = res.json().await.unwrap();
    assert_eq!(again, up);
    // The same key with another file.
    let other = phone_jpeg(64, 32, exif(1));
    let res = app
        .upload_as(
            Some(&citizen),
            Some("pdf-key-0001"),
            "photo.jpg",
            "image/jpeg",
            &other,
        )
        .await;
    assert_problem(res, 422, "idempotency_key_reused").await;

    // No key.
    let res = app
        .upload_as(Some(&citizen), None, "photo.jpg", "image/jpeg", &other)
        .await;
    assert_problem(res, 400, "idempotency_key_missing").await;
    // Not a photo or a PDF, whatever it claims.
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let res = app
        .upload_as(
            Some(&citizen),
            Some("noise-key-0001"),
            "photo.jpg",
            "image/jpeg",
            &noise,
        )
        .await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let res = app
        .upload_as(
            Some(&citizen),
            Some("svg-key-0001"),
            "a.png",
            "image/png",
            svg,
        )
        .await;
    assert_problem(res, 415, "unsupported_media_type").await;
    // A failed upload frees its key: the corrected retry works.
    let res = app
        .upload_as(
            Some(&citizen),
            Some("noise-key-0001"),
            "photo.jpg",
            "image/jpeg",
            &other,
        )
        .await;
    assert_eq!(res.status(), 201);

    // Not a form at all.
    let res = app
        .authed(Method::POST, "/api/v1/uploads", &citizen)
        .header("Idempotency-Key", "json-key-0001")
        .json(&json!({"file": "aGVsbG8="}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
    // A form without the `file` part.
    let res = app
        .authed(Method::POST, "/api/v1/uploads", &citizen)
        .header("Idempotency-Key", "form-key-0001")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form("photo", "a.jpg", "image/jpeg", &other))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/photo", "{body}");
    // A truncated photo.
    let res = app
        .upload_as(
            Some(&citizen),
            Some("cut-key-0001"),
            "a.jpg",
            "image/jpeg",
            &other[..other.len() / 2],
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/file");
    assert_eq!(body["errors"][0]["code"], "corrupt_file");

    // Documented as a multipart form.
    let doc = app.public_json("/api/v1/openapi.json").await;
    let op = &doc["paths"]["/api/v1/uploads"]["post"];
    assert!(
        op["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{op}"
    );
    assert_eq!(op["tags"][0], "uploads");
    for path in [
        "/api/v1/attachments/{id}",
        "/api/v1/attachments/{id}/thumbnail",
        "/api/v1/tickets/{code}/attachments/{id}/publishable",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn files_over_the_limits_are_refused() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.media.max_bytes = 8 * 1024;
            s.media.max_pixels = 100 * 100;
        })
        .spawn()
        .await;
    let citizen = app.citizen().await;
    let mut big_pdf = PDF[..PDF.len() - 6].to_vec();
    big_pdf.resize(9 * 1024, b' ');
    big_pdf.extend_from_slice(b"%%EOF\n");
    // Within the form's slack, so refused while the part is read.
    let res = app
        .upload_as(
            Some(&citizen),
            Some("big-key-0001"),
            "a.pdf",
            "application/pdf",
            &big_pdf,
        )
        .await;
    let body = assert_problem(res, 413, "payload_too_large").await;
    assert!(body["detail"].as_str().unwrap().contains("8192"), "{body}");
    // Far over: refused from its Content-Length, unread.
    big_pdf.resize(512 * 1024, b' ');
    let res = app
        .upload_as(
            Some(&citizen),
            Some("big-key-0002"),
            "a.pdf",
            "application/pdf",
            &big_pdf,
        )
        .await;
    assert_problem(res, 413, "payload_too_large").await;
    // Small in bytes, too many pixels.
    let wide = phone_jpeg(200, 100, exif(1));
    assert!(wide.len() < 8 * 1024);
    let res = app
        .upload_as(
            Some(&citizen),
            Some("wide-key-0001"),
            "a.jpg",
            "image/jpeg",
            &wide,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/file");
    assert_eq!(body["errors"][0]["code"], "image_too_large");
    // Within both limits.
    let small = phone_jpeg(80, 60, exif(1));
    assert_eq!(
        app.upload_as(
            Some(&citizen),
            Some("small-key-001"),
            "a.jpg",
            "image/jpeg",
            &small
        )
        .await
        .status(),
        201
    );
}

#[tokio::test]
async fn attachments_are_not_readable_or_usable_by_others() {
    let app = TestApp::demo().await;
    let alice = app.citizen().await;
    let bob = app.citizen().await;
    let photo = phone_jpeg(120, 80, exif(1));
    let filed = app.uploaded(Some(&alice), &photo).await;
    let loose = app
        .uploaded(Some(&alice), &phone_jpeg(90, 60, exif(1)))
        .await;
    let ticket = app.pothole(&alice, &[&filed]).await;
    let code = ticket["code"].as_str().unwrap();
    let url = format!("/api/v1/attachments/{filed}");
    let thumb = format!("/api/v1/attachments/{filed}/thumbnail");

    // Bob can neither read Alice's files, attached or not, nor attach them.
    for path in [&url, &thumb, &format!("/api/v1/attachments/{loose}")] {
        assert_problem(
            app.fetch(path, Some(&bob), None).await,
            404,
            "attachment_not_found",
        )
        .await;
    }
    let res = app.submit(Some(&bob), &pothole(&[&loose])).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments/0", "{body}");
    // An attached upload cannot be attached again, not even by its owner.
    let res = app.submit(Some(&alice), &pothole(&[&filed])).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments/0", "{body}");
    // Unknown ids look the same as forbidden ones.
    let res = app
        .fetch(
            &format!("/api/v1/attachments/{}", uuid::Uuid::new_v4()),
            Some(&alice),
            None,
        )
        .await;
    assert_problem(res, 404, "attachment_not_found").await;

    // Staff: the handling unit sees it; another unit does not.
    let official = app.official_of("UBND-X31135").await;
    assert_eq!(app.fetch(&url, Some(&official), None).await.status(), 200);
    let outsider = app.official_of("SXD-92").await;
    assert_problem(
        app.fetch(&url, Some(&outsider), None).await,
        404,
        "attachment_not_found",
    )
    .await;
    let res = app.publish(&outsider, code, &filed, true).await;
    assert_problem(res, 404, "ticket_not_found").await;

    // Accepted, the pothole is public, but the citizen's photo is not, until published.
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/accept"),
            &official,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let public = app.public_json(&format!("/api/v1/tickets/{code}")).await;
    assert_eq!(public["visibility"], "public", "{public}");
    assert_eq!(public["attachments"], json!([]));
    assert_problem(
        app.fetch(&url, None, None).await,
        404,
        "attachment_not_found",
    )
    .await;
    assert_problem(
        app.fetch(&thumb, Some(&bob), None).await,
        404,
        "attachment_not_found",
    )
    .await;
    // Only the handling unit decides.
    assert_problem(
        app.publish(&bob, code, &filed, true).await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        app.publish(&alice, code, &filed, true).await,
        403,
        "action_forbidden",
    )
    .await;
    let res = app.publish(&official, code, &loose, true).await;
    assert_problem(res, 404, "attachment_not_found").await;

    let res = app.publish(&official, code, &filed, true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"id": filed, "publishable": true})
    );
    let public = app.public_json(&format!("/api/v1/tickets/{code}")).await;
    assert_eq!(public["attachments"][0]["id"], filed.as_str(), "{public}");
    let res = app.fetch(&url, None, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "cache-control"),
        "private, max-age=31536000, immutable"
    );
    assert_eq!(app.fetch(&thumb, Some(&bob), None).await.status(), 200);
    // The decision is on the staff timeline.
    let events = app.timeline(&official, code).await;
    let published = events
        .iter()
        .find(|e| e["kind"] == "attachment_published")
        .expect("attachment_published event");
    assert_eq!(published["public"], false);
    assert_eq!(published["data"]["attachment"], filed.as_str());

    // And withdrawn again.
    assert_eq!(
        app.publish(&official, code, &filed, false).await.status(),
        200
    );
    assert_problem(
        app.fetch(&url, None, None).await,
        404,
        "attachment_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_denunciations_files_are_for_the_handling_unit_only() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let photo = app
        .uploaded(Some(&citizen), &phone_jpeg(120, 80, exif(6)))
        .await;
    let body = json!({
        "kind": "denunciation",
        "category": "tham-nhung",
        "title": "Cán bộ địa chính nhận tiền",
        "description": "Ảnh chụp lúc nhận phong bì tại trụ sở.",
        "area_code": "31135",
        "attachments": [photo],
    });
    let ticket = app.submit_ok(Some(&citizen), &body).await;
    let code = ticket["code"].as_str().unwrap();
    let url = format!("/api/v1/attachments/{photo}");
    let inspectorate = app.unit_id("TT-92").await;
    assert_eq!(ticket["unit"]["id"], inspectorate, "{ticket}");

    let (_, handling) = app.token_for(Role::Official, Some(inspectorate)).await;
    let res = app.fetch(&url, Some(&handling), None).await;
    assert_eq!(res.status(), 200);
    // A supervisor over the whole province reads the ticket, never the denouncer's files.
    let supervisor = app.supervisor_of("UBND-T92").await;
    let seen = app.ticket(&supervisor, code).await;
    assert_eq!(seen["attachments"], json!([]));
    for path in [url.clone(), format!("{url}/thumbnail")] {
        assert_problem(
            app.fetch(&path, Some(&supervisor), None).await,
            404,
            "attachment_not_found",
        )
        .await;
    }
    // Never public.
    let res = app.publish(&handling, code, &photo, true).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/publishable");
    // The handling unit's view was recorded.
    let events = app.timeline(&handling, code).await;
    let viewed: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "identity_viewed" && e["data"]["attachment"] == photo.as_str())
        .collect();
    assert_eq!(viewed.len(), 1, "{events:?}");
    assert_eq!(viewed[0]["public"], false);
}

#[tokio::test]
async fn anonymous_callers_upload_attach_and_read_back_with_their_secret() {
    let app = TestApp::builder()
        .with_settings(|s| s.tickets.anonymous_uploads_per_hour = 3)
        .demo()
        .await;
    let photo = phone_jpeg(120, 80, exif(6));
    let anon = app.uploaded(None, &photo).await;
    let mut body = pothole(&[&anon]);
    body["anonymous"] = json!(true);
    let res = app.submit(None, &body).await;
    assert_eq!(res.status(), 201);
    let ticket: Value = res.json().await.unwrap();
    let secret = ticket["tracking_secret"].as_str().unwrap();
    assert_eq!(ticket["attachments"][0]["id"], anon.as_str(), "{ticket}");

    let url = format!("/api/v1/attachments/{anon}");
    let res = app
        .fetch(&url, None, Some(("X-Tracking-Secret", secret)))
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(!contains(&bytes, b"Exif") && !contains(&bytes, &latitude_bytes()));
    let thumb = app
        .fetch(
            &format!("{url}/thumbnail"),
            None,
            Some(("X-Tracking-Secret", secret)),
        )
        .await;
    assert_eq!(thumb.status(), 200);
    // Without the secret (or with a wrong one) it does not exist.
    assert_problem(
        app.fetch(&url, None, None).await,
        404,
        "attachment_not_found",
    )
    .await;
    let res = app
        .fetch(&url, None, Some(("X-Tracking-Secret", "not-the-secret")))
        .await;
    assert_problem(res, 404, "attachment_not_found").await;

    // An anonymous upload is not a signed-in citizen's to attach.
    let other = app.uploaded(None, &photo).await;
    let citizen = app.citizen().await;
    let res = app.submit(Some(&citizen), &pothole(&[&other])).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments/0");
    assert_problem(
        app.fetch(
            &format!("/api/v1/attachments/{other}"),
            Some(&citizen),
            None,
        )
        .await,
        404,
        "attachment_not_found",
    )
    .await;

    // Anonymous uploads are rate limited per address; signed-in ones are not.
    app.uploaded(None, &photo).await;
    let res = app
        .upload_as(None, Some("anon-key-0004"), "a.jpg", "image/jpeg", &photo)
        .await;
    assert!(!header(&res, "retry-after").is_empty());
    assert_problem(res, 429, "rate_limited").await;
    app.uploaded(Some(&citizen), &photo).await;
    app.clock.advance(chrono::Duration::hours(1));
    app.uploaded(None, &photo).await;
}

#[tokio::test]
async fn uploads_never_attached_are_purged_after_a_day() {
    let app = TestApp::demo().await;
    let (user, citizen) = app.token_for(Role::Citizen, None).await;
    let filed = app
        .uploaded(Some(&citizen), &phone_jpeg(120, 80, exif(1)))
        .await;
    let orphan = app
        .uploaded(Some(&citizen), &phone_jpeg(90, 60, exif(1)))
        .await;
    let pdf = app.uploaded(Some(&citizen), PDF).await;
    app.pothole(&citizen, &[&filed]).await;
    // Two photos with thumbnails and a PDF.
    assert_eq!(app.stored_files(), 5);

    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(app.run_jobs().await.orphan_uploads_purged, 0);
    // Access tokens last minutes; the day does not.
    let citizen = app.login(&user.email, &user.password).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let orphan_url = format!("/api/v1/attachments/{orphan}");
    assert_eq!(
        app.fetch(&orphan_url, Some(&citizen), None).await.status(),
        200
    );

    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(app.run_jobs().await.orphan_uploads_purged, 2);
    let citizen = app.login(&user.email, &user.password).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_problem(
        app.fetch(&orphan_url, Some(&citizen), None).await,
        404,
        "attachment_not_found",
    )
    .await;
    let res = app
        .fetch(&format!("/api/v1/attachments/{pdf}"), Some(&citizen), None)
        .await;
    assert_problem(res, 404, "attachment_not_found").await;
    // Their bytes are gone; the attached photo's remain and are served.
    assert_eq!(app.stored_files(), 2);
    let res = app
        .fetch(
            &format!("/api/v1/attachments/{filed}"),
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    // A purged upload can no longer be attached.
    let res = app.submit(Some(&citizen), &pothole(&[&orphan])).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments/0");
    assert_eq!(app.run_jobs().await.orphan_uploads_purged, 0);
}

#[tokio::test]
async fn a_ticket_carries_at_most_the_configured_number_of_attachments() {
    let app = TestApp::builder()
        .with_settings(|s| s.media.max_per_ticket = 2)
        .demo()
        .await;
    let citizen = app.citizen().await;
    let mut ids = Vec::new();
    for side in [40, 50, 60] {
        ids.push(
            app.uploaded(Some(&citizen), &phone_jpeg(side, side, exif(1)))
                .await,
        );
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let res = app.submit(Some(&citizen), &pothole(&refs)).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments");
    assert_eq!(body["errors"][0]["code"], "too_many");

    let ticket = app.pothole(&citizen, &refs[..2]).await;
    let code = ticket["code"].as_str().unwrap();
    assert_eq!(ticket["attachments"].as_array().unwrap().len(), 2);
    // The answer's file would be the third.
    let official = app.official_of("UBND-X31135").await;
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/accept"),
            &official,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer_file = app.uploaded(Some(&official), PDF).await;
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/resolve"),
            &official,
        )
        .json(&json!({"answer": "Đã vá ổ gà.", "attachments": [answer_file]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/attachments", "{body}");
    assert_eq!(body["errors"][0]["code"], "too_many");
}
