//! Resumable uploads (tus 1.0.0 with creation and termination): a phone's photo sent in three
//! PATCHes, resumed at an odd offset after asking where the server stands, then attached to a
//! ticket with its GPS removed, as `POST /uploads` would.

use reqwest::{Method, RequestBuilder, Response};

use crate::helpers::{TestApp, assert_problem};
use crate::uploads::{contains, exif, latitude_bytes, phone_jpeg, pothole};

const ENDPOINT: &str = "/api/v1/uploads/tus/";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

impl TestApp {
    fn tus(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut rb = self
            .client
            .request(method, self.url(path))
            .header("Tus-Resumable", "1.0.0");
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    /// POST: a new upload of `length` bytes; returns its URL path.
    async fn tus_create(&self, token: Option<&str>, length: usize) -> String {
        let res = self
            .tus(Method::POST, ENDPOINT, token)
            .header("Upload-Length", length.to_string())
            // "filename IMG_0001.jpg"
            .header("Upload-Metadata", "filename SU1HXzAwMDEuanBn,private")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(header(&res, "tus-resumable"), Some("1.0.0"));
        header(&res, "location").unwrap().to_string()
    }

    async fn tus_patch(
        &self,
        url: &str,
        token: Option<&str>,
        offset: usize,
        bytes: &[u8],
    ) -> Response {
        self.tus(Method::PATCH, url, token)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    async fn tus_offset(&self, url: &str, token: Option<&str>) -> usize {
        let res = self.tus(Method::HEAD, url, token).send().await.unwrap();
        assert_eq!(res.status(), 200, "HEAD {url}");
        assert_eq!(header(&res, "cache-control"), Some("no-store"));
        header(&res, "upload-offset").unwrap().parse().unwrap()
    }
}

#[tokio::test]
async fn a_photo_sent_in_three_patches_and_resumed_at_an_odd_offset_is_attached_without_gps() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let me = Some(citizen.as_str());

    let res = app
        .client
        .request(Method::OPTIONS, app.url(ENDPOINT))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "tus-version"), Some("1.0.0"));
    assert_eq!(header(&res, "tus-extension"), Some("creation,termination"));
    assert_eq!(header(&res, "tus-max-size"), Some("10485760"));

    let photo = phone_jpeg(800, 400, exif(6));
    assert!(contains(&photo, &latitude_bytes()));
    let len = photo.len();
    let url = app.tus_create(me, len).await;
    assert!(url.starts_with(ENDPOINT), "{url}");
    let res = app.tus(Method::HEAD, &url, me).send().await.unwrap();
    assert_eq!(
        header(&res, "upload-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(header(&res, "upload-offset"), Some("0"));
    assert_eq!(
        header(&res, "upload-metadata"),
        Some("filename SU1HXzAwMDEuanBn,private")
    );

    // First stretch: 1001 bytes.
    let res = app.tus_patch(&url, me, 0, &photo[..1001]).await;
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "upload-offset"), Some("1001"));
    assert!(header(&res, "upload-id").is_none());
    // The connection drops; the app lost track and retries from 0: refused, nothing kept.
    let p = assert_problem(
        app.tus_patch(&url, me, 0, &photo[..500]).await,
        409,
        "upload_offset_mismatch",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("1001"), "{p}");
    // It asks where the server stands and goes on from there, to an odd offset.
    let at = app.tus_offset(&url, me).await;
    assert_eq!(at, 1001);
    let odd = (len / 2) | 1;
    let res = app.tus_patch(&url, me, at, &photo[at..odd]).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        header(&res, "upload-offset"),
        Some(odd.to_string().as_str())
    );
    // Another account cannot see or touch it.
    let other = app.citizen().await;
    let r = app
        .tus(Method::HEAD, &url, Some(&other))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_problem(
        app.tus_patch(&url, Some(&other), odd, &photo[odd..]).await,
        404,
        "upload_not_found",
    )
    .await;
    // The rest, from what HEAD says.
    let at = app.tus_offset(&url, me).await;
    assert_eq!(at, odd);
    let res = app.tus_patch(&url, me, at, &photo[at..]).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        header(&res, "upload-offset"),
        Some(len.to_string().as_str())
    );
    let id = header(&res, "upload-id").unwrap().to_string();
    let head = app.tus(Method::HEAD, &url, me).send().await.unwrap();
    assert_eq!(header(&head, "upload-id"), Some(id.as_str()));

    // The same kind of upload as POST /uploads: attached to a ticket, served without GPS.
    let ticket = app.submit_ok(me, &pothole(&[&id])).await;
    let attachment = &ticket["attachments"][0];
    assert_eq!(attachment["id"], id.as_str(), "{ticket}");
    let res = app
        .client
        .get(app.url(attachment["url"].as_str().unwrap()))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), Some("image/jpeg"));
    let bytes = res.bytes().await.unwrap();
    assert!(!contains(&bytes, &latitude_bytes()), "GPS survived");
    assert!(!contains(&bytes, b"Exif"), "EXIF survived");
    let stored = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (stored.width(), stored.height()),
        (400, 800),
        "turned upright"
    );
    let thumb = app
        .client
        .get(app.url(attachment["thumbnail_url"].as_str().unwrap()))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), 200);
}

#[tokio::test]
async fn tus_refuses_what_it_should_and_ends_uploads_on_delete_or_after_a_day() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let me = Some(citizen.as_str());

    // No Tus-Resumable: 412 naming the version spoken.
    let res = app
        .client
        .post(app.url(ENDPOINT))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "tus-version"), Some("1.0.0"));
    assert_problem(res, 412, "tus_version_unsupported").await;
    // Bigger than one-shot uploads may be: 413; no length: 400; bad metadata: 400.
    let post = |len: Option<&str>, meta: Option<&str>| {
        let mut rb = app.tus(Method::POST, ENDPOINT, me);
        if let Some(l) = len {
            rb = rb.header("Upload-Length", l);
        }
        if let Some(m) = meta {
            rb = rb.header("Upload-Metadata", m);
        }
        rb.send()
    };
    assert_problem(
        post(Some("10485761"), None).await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    assert_problem(
        post(None, None).await.unwrap(),
        400,
        "upload_length_invalid",
    )
    .await;
    assert_problem(
        post(Some("-5"), None).await.unwrap(),
        400,
        "upload_length_invalid",
    )
    .await;
    assert_problem(
        post(Some("10"), Some("name not!base64")).await.unwrap(),
        400,
        "upload_metadata_invalid",
    )
    .await;

    // A PATCH needs the offset stream type and an offset, and no more bytes than declared.
    let url = app.tus_create(me, 10).await;
    let r = app
        .tus(Method::PATCH, &url, me)
        .header("Content-Type", "application/octet-stream")
        .header("Upload-Offset", "0")
        .body(vec![0u8; 4])
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
    let r = app
        .tus(Method::PATCH, &url, me)
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![0u8; 4])
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "upload_offset_invalid").await;
    assert_problem(
        app.tus_patch(&url, me, 0, &[0u8; 11]).await,
        413,
        "payload_too_large",
    )
    .await;
    // Ten bytes that are no photo: refused like POST /uploads, and the upload ends.
    let r = app.tus_patch(&url, me, 0, b"not a file").await;
    assert_problem(r, 415, "unsupported_media_type").await;
    let r = app.tus(Method::HEAD, &url, me).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // DELETE ends an upload.
    let url = app.tus_create(me, 100).await;
    assert_eq!(app.tus_patch(&url, me, 0, &[1u8; 7]).await.status(), 204);
    let r = app.tus(Method::DELETE, &url, me).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "tus-resumable"), Some("1.0.0"));
    let r = app.tus(Method::HEAD, &url, me).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = app.tus(Method::DELETE, &url, me).send().await.unwrap();
    assert_problem(r, 404, "upload_not_found").await;

    // An unfinished upload lives 24 hours; then it is gone, and the purge removes its bytes.
    let url = app.tus_create(me, 100).await;
    assert_eq!(app.tus_patch(&url, me, 0, &[1u8; 7]).await.status(), 204);
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(app.tus_offset(&url, me).await, 7);
    app.clock.advance(chrono::Duration::hours(1));
    let r = app.tus(Method::HEAD, &url, me).send().await.unwrap();
    assert_eq!(r.status(), 404);
    app.run_jobs().await;
    let left: i64 = app
        .state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::resumable_uploads;
            Ok(resumable_uploads::table.count().get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    let files = walk(app.media_dir.path());
    assert!(files.iter().all(|f| !f.contains("tus")), "{files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn anonymous_callers_may_upload_resumably_as_they_may_in_one_shot() {
    let app = TestApp::demo().await;
    let photo = phone_jpeg(64, 48, exif(1));
    let url = app.tus_create(None, photo.len()).await;
    let res = app.tus_patch(&url, None, 0, &photo[..333]).await;
    assert_eq!(res.status(), 204);
    let at = app.tus_offset(&url, None).await;
    let res = app.tus_patch(&url, None, at, &photo[at..]).await;
    assert_eq!(res.status(), 204);
    assert!(header(&res, "upload-id").is_some());
}

#[tokio::test]
async fn a_patch_whose_connection_drops_keeps_the_bytes_that_arrived() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let me = Some(citizen.as_str());
    let photo = phone_jpeg(320, 240, exif(1));
    let url = app.tus_create(me, photo.len()).await;
    // The whole file announced, 1,237 bytes sent, then the connection is gone.
    let cut = 1237;
    let mut tcp = tokio::net::TcpStream::connect(&app.address.replace("http://", ""))
        .await
        .unwrap();
    let head = format!(
        "PATCH {url} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {citizen}\r\n\
         Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
         Upload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        photo.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&photo[..cut]).await.unwrap();
    tcp.flush().await.unwrap();
    drop(tcp);
    // The server stores what came once it sees the connection end; ask until it has.
    let mut at = 0;
    for _ in 0..500 {
        at = app.tus_offset(&url, me).await;
        if at > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(at, cut, "the bytes that arrived are kept");
    let res = app.tus_patch(&url, me, at, &photo[at..]).await;
    assert_eq!(res.status(), 204);
    let id = header(&res, "upload-id").unwrap().to_string();
    let ticket = app.submit_ok(me, &pothole(&[&id])).await;
    assert_eq!(ticket["attachments"][0]["id"], id.as_str());
}

#[tokio::test]
async fn an_upload_may_come_in_at_most_a_thousand_parts() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let me = Some(citizen.as_str());
    let url = app.tus_create(me, 2000).await;
    for offset in 0..1000 {
        let r = app.tus_patch(&url, me, offset, &[7u8]).await;
        assert_eq!(r.status(), 204, "part {offset}");
    }
    let p = assert_problem(
        app.tus_patch(&url, me, 1000, &[7u8; 1000]).await,
        422,
        "upload_too_many_parts",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("1000"), "{p}");
    assert_eq!(app.tus_offset(&url, me).await, 1000);
}
