//! The limit on a request head (`server.max_header_bytes`), kept below actix-http.
//!
//! actix-http answers a head over its own fixed ceilings (128 KiB unparsed, 96 header lines)
//! itself, with a bare 431 that no middleware sees. So every connection reads through
//! [`GuardedStream`], which parses the bytes with actix-http's own HTTP/1 codec (the same
//! framing, so heads are found exactly where actix finds them) and hands a head on only once
//! it is complete and within the limit. An oversized head is never handed on: actix gets a
//! small stand-in request instead, marked with a per-connection nonce, and the request
//! middleware answers it with the problem+json 431 `headers_too_large`; the connection then
//! closes.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_codec::Decoder;
use actix_http::ServiceConfig;
use actix_http::error::ParseError;
use actix_http::h1::{Codec, Message, MessageType};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The header naming a stand-in request; only the nonce of its own connection counts.
pub const REFUSED_HEAD_HEADER: &str = "x-nghedan-refused-head";

/// Headers of a refused head that its stand-in keeps (the answer's language and request id).
const KEPT_HEADERS: &[&str] = &["accept-language", "x-request-id"];

/// Per connection (in its extensions): the nonce of the stand-in for a refused head, if any.
#[derive(Clone, Default)]
pub struct RefusedHead(Rc<RefCell<Option<String>>>);

impl RefusedHead {
    /// Whether `request` is the stand-in of this connection's refused head.
    pub fn is_stand_in(&self, request: &actix_web::HttpRequest) -> bool {
        let nonce = self.0.borrow();
        match (nonce.as_deref(), request.headers().get(REFUSED_HEAD_HEADER)) {
            (Some(nonce), Some(sent)) => sent.as_bytes() == nonce.as_bytes(),
            _ => false,
        }
    }
}

enum Mode {
    /// Parsing every byte, holding back the head being read.
    Watching,
    /// Handing bytes on untouched (after a parse error actix answers itself, or an upgrade).
    PassThrough,
    /// A head was refused: the stand-in goes on, then everything from the client is dropped.
    Refused,
}

/// A connection whose request heads are checked before actix-http reads them.
pub struct GuardedStream<T> {
    inner: T,
    limit: usize,
    /// actix-http's parser, run over a copy of the bytes to find where heads and bodies are.
    codec: Codec,
    shadow: BytesMut,
    /// Bytes read from the client and not yet handed on; the first `releasable` may go.
    pending: BytesMut,
    releasable: usize,
    mode: Mode,
    refused: RefusedHead,
}

impl<T> GuardedStream<T> {
    /// `config`: one per worker thread (each one keeps a clock task).
    pub fn new(inner: T, limit: usize, config: ServiceConfig) -> Self {
        Self {
            inner,
            limit,
            codec: Codec::new(config),
            shadow: BytesMut::new(),
            pending: BytesMut::new(),
            releasable: 0,
            mode: Mode::Watching,
            refused: RefusedHead::default(),
        }
    }

    pub fn refused_head(&self) -> RefusedHead {
        self.refused.clone()
    }

    /// Runs the parser over what arrived; releases complete heads within the limit and
    /// the body bytes after them.
    fn scan(&mut self) {
        while matches!(self.mode, Mode::Watching) && !self.shadow.is_empty() {
            let in_head = self.codec.message_type() == MessageType::None;
            let before = self.shadow.len();
            let decoded = self.codec.decode(&mut self.shadow);
            let consumed = before - self.shadow.len();
            match decoded {
                Ok(Some(Message::Item(_))) => {
                    if in_head && consumed > self.limit {
                        return self.refuse();
                    }
                    self.releasable += consumed;
                    if self.codec.message_type() == MessageType::Stream {
                        self.pass_through();
                    }
                }
                Ok(Some(Message::Chunk(_))) => self.releasable += consumed,
                Ok(None) => {
                    self.releasable += consumed;
                    if in_head && self.shadow.len() > self.limit {
                        self.refuse();
                    }
                    return;
                }
                // Over actix's own ceilings (128 KiB, 96 header lines).
                Err(ParseError::TooLarge) => return self.refuse(),
                // Anything else actix answers itself (400) from the same bytes.
                Err(_) => self.pass_through(),
            }
        }
    }

    fn pass_through(&mut self) {
        self.mode = Mode::PassThrough;
        self.releasable = self.pending.len();
        self.shadow = BytesMut::new();
    }

    /// Drops the head being read and puts the stand-in request in its place.
    fn refuse(&mut self) {
        let head = self.pending.split_off(self.releasable);
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let mut stand_in = format!(
            "GET / HTTP/1.1\r\nhost: nghedan\r\nconnection: close\r\n{REFUSED_HEAD_HEADER}: {nonce}\r\n"
        );
        for name in KEPT_HEADERS {
            if let Some(value) = header_value(&head, name) {
                stand_in.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        stand_in.push_str("\r\n");
        self.pending.extend_from_slice(stand_in.as_bytes());
        self.releasable = self.pending.len();
        self.shadow = BytesMut::new();
        *self.refused.0.borrow_mut() = Some(nonce);
        self.mode = Mode::Refused;
    }
}

/// A header's value in a (possibly partial) raw head, if it is plain printable ASCII.
fn header_value<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = (&line[..colon], &line[colon + 1..]);
        if !key.eq_ignore_ascii_case(name.as_bytes()) {
            return None;
        }
        let value = std::str::from_utf8(value).ok()?.trim();
        (!value.is_empty()
            && value.len() <= 200
            && value.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .then_some(value)
    })
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.releasable > 0 {
                let n = this.releasable.min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                this.releasable -= n;
                return Poll::Ready(Ok(()));
            }
            if matches!(this.mode, Mode::PassThrough) && this.pending.is_empty() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let bytes = read.filled();
            if bytes.is_empty() {
                // The client is done: whatever is held goes on as it is, then the end.
                this.releasable = this.pending.len();
                if this.releasable == 0 {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            match this.mode {
                // After a refusal the client's further bytes are read and dropped.
                Mode::Refused => {}
                Mode::PassThrough => {
                    this.pending.extend_from_slice(bytes);
                    this.releasable = this.pending.len();
                }
                Mode::Watching => {
                    this.pending.extend_from_slice(bytes);
                    this.shadow.extend_from_slice(bytes);
                    this.scan();
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What actix would read through the guard when a client sends `input` and closes (on
    /// actix's runtime: its codec keeps a clock task).
    async fn handed_on(input: &[u8], limit: usize) -> (Vec<u8>, bool) {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(input).await.unwrap();
        drop(client);
        let mut guarded = GuardedStream::new(server, limit, ServiceConfig::default());
        let refused = guarded.refused_head();
        let mut out = Vec::new();
        guarded.read_to_end(&mut out).await.unwrap();
        let was_refused = refused.0.borrow().is_some();
        (out, was_refused)
    }

    #[actix_rt::test]
    async fn heads_within_the_limit_and_their_bodies_pass_unchanged() {
        let input = b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /c HTTP/1.1\r\nhost: x\r\n\r\n";
        let (out, refused) = handed_on(input, 100).await;
        assert_eq!(out, input.to_vec());
        assert!(!refused);
    }

    #[actix_rt::test]
    async fn a_body_larger_than_the_limit_is_not_a_head() {
        let mut input = b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 5000));
        let (out, refused) = handed_on(&input, 100).await;
        assert_eq!(out, input);
        assert!(!refused);
    }

    #[actix_rt::test]
    async fn an_oversized_head_is_replaced_by_a_stand_in_keeping_the_language() {
        let mut input =
            b"GET /a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nokGET /b HTTP/1.1\r\nhost: x\r\nAccept-Language: en\r\nx-pad: "
                .to_vec();
        input.extend(std::iter::repeat_n(b'p', 300));
        input.extend(b"\r\n\r\nGET /c HTTP/1.1\r\n\r\n");
        let (out, refused) = handed_on(&input, 200).await;
        assert!(refused);
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with(
                "GET /a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nokGET / HTTP/1.1\r\n"
            ),
            "{out}"
        );
        assert!(out.contains("accept-language: en\r\n"), "{out}");
        assert!(out.contains("connection: close\r\n"), "{out}");
        assert!(!out.contains("ppp") && !out.contains("/c"), "{out}");
    }

    #[actix_rt::test]
    async fn a_head_never_ending_or_with_too_many_lines_is_refused() {
        let mut endless = b"GET / HTTP/1.1\r\nx-pad: ".to_vec();
        endless.extend(std::iter::repeat_n(b'p', 200_000));
        assert!(handed_on(&endless, 16_384).await.1);
        let mut many = b"GET / HTTP/1.1\r\nhost: x\r\n".to_vec();
        for i in 0..100 {
            many.extend(format!("x-h{i}: v\r\n").bytes());
        }
        many.extend(b"\r\n");
        assert!(handed_on(&many, 16_384).await.1);
    }

    #[actix_rt::test]
    async fn garbage_goes_on_for_actix_to_answer() {
        let input = b"NOT HTTP AT ALL\r\n\r\n\x00\x01";
        let (out, refused) = handed_on(input, 100).await;
        assert_eq!(out, input.to_vec());
        assert!(!refused);
    }

    #[test]
    fn header_values_are_found_case_insensitively_and_only_when_plain() {
        let head = b"GET / HTTP/1.1\r\nACCEPT-LANGUAGE: en-US\r\nx-request-id: a\x01b\r\n";
        assert_eq!(header_value(head, "accept-language"), Some("en-US"));
        assert_eq!(header_value(head, "x-request-id"), None);
        assert_eq!(header_value(head, "host"), None);
    }
}
