//! Response compression: gzip or brotli (actix-web's `Compress`, which negotiates with
//! `Accept-Encoding`) for text — JSON, HTML, CSS, JavaScript, the OpenAPI document — of at
//! least `server.compression_min_bytes`. Everything else, JPEG, PNG, WebP and PDF included
//! (already compressed: a second pass costs CPU and saves nothing), and anything smaller
//! (the encoding's overhead outweighs what it saves; one TCP packet carries it anyway) is
//! marked `Content-Encoding: identity`, which `Compress` leaves alone; the marker is removed
//! before the response leaves (see `middleware::protect`). Live updates (`text/event-stream`)
//! are never compressed: an encoder buffers, and an event must leave when it happens.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// Whether a body of this type and size is worth compressing.
pub fn worth_compressing(content_type: Option<&HeaderValue>, size: BodySize, min: usize) -> bool {
    let big_enough = match size {
        BodySize::None => false,
        BodySize::Sized(n) => n >= min as u64,
        // A stream (a spreadsheet export): size unknown, typically large.
        BodySize::Stream => true,
    };
    big_enough && content_type.is_some_and(is_text)
}

/// JSON, HTML, CSS, JavaScript, CSV, XML, SVG: the types that compress. Never images, PDF
/// or office files (JPEG, PNG, WebP, PDF and XLSX are compressed already).
fn is_text(content_type: &HeaderValue) -> bool {
    let Ok(text) = content_type.to_str() else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    match kind {
        // An event stream is written a few bytes at a time as things happen: an encoder would
        // hold them back until its buffer fills, and the client would see nothing.
        "text" => subtype != "event-stream",
        "application" => {
            matches!(subtype, "json" | "javascript" | "xml")
                || subtype.ends_with("+json")
                || subtype.ends_with("+xml")
        }
        "image" => subtype == "svg+xml",
        _ => false,
    }
}

/// Gives a compressed response's strong `ETag` the encoding as a suffix (`"…-br"`): the
/// bytes differ from the uncompressed ones, so the validator must too (RFC 9110 §8.8.3).
pub fn tag_encoding(headers: &mut HeaderMap) {
    let coding = match headers
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        Some(b"br") => "br",
        Some(b"gzip") => "gzip",
        _ => return,
    };
    let tagged = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|tag| tag.strip_prefix('"')?.strip_suffix('"'))
        .map(|opaque| format!("\"{opaque}-{coding}\""))
        .and_then(|t| HeaderValue::from_str(&t).ok());
    if let Some(value) = tagged {
        headers.insert(header::ETAG, value);
    }
}

/// Marks the responses `Compress` must leave alone.
pub async fn policy(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let min = req
        .app_data::<web::Data<AppState>>()
        .map_or(1024, |s| s.settings.server.compression_min_bytes);
    let mut res = next.call(req).await?;
    let worth = worth_compressing(
        res.headers().get(header::CONTENT_TYPE),
        res.response().body().size(),
        min,
    );
    if !worth && !res.headers().contains_key(header::CONTENT_ENCODING) {
        res.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_a_kilobyte_is_compressed_and_media_never() {
        let big = BodySize::Sized(50_000);
        let ct = |s: &'static str| Some(HeaderValue::from_static(s));
        for text in [
            "application/json",
            "application/problem+json",
            "application/geo+json",
            "text/html; charset=utf-8",
            "text/css",
            "application/javascript",
            "text/javascript; charset=utf-8",
            "text/csv",
            "image/svg+xml",
        ] {
            assert!(worth_compressing(ct(text).as_ref(), big, 1024), "{text}");
        }
        for media in [
            "image/jpeg",
            "image/png",
            "image/webp",
            "application/pdf",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ] {
            assert!(!worth_compressing(ct(media).as_ref(), big, 1024), "{media}");
        }
        assert!(!worth_compressing(None, big, 1024));
        let json = ct("application/json");
        assert!(!worth_compressing(
            json.as_ref(),
            BodySize::Sized(1023),
            1024
        ));
        assert!(worth_compressing(
            json.as_ref(),
            BodySize::Sized(1024),
            1024
        ));
        assert!(worth_compressing(json.as_ref(), BodySize::Stream, 1024));
        assert!(!worth_compressing(
            ct("text/event-stream").as_ref(),
            BodySize::Stream,
            1024
        ));
        assert!(!worth_compressing(json.as_ref(), BodySize::None, 1024));
    }
}
