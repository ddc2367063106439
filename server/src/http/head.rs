//! The request head, checked before hyper parses it: size, header count, target length and body
//! framing (`Content-Length` / `Transfer-Encoding`), and a declared body over the limit.
//!
//! hyper answers its own parse errors with a bare status and no body, outside any service, so a
//! client would see neither the error body nor a request id, and the metrics would not count it.
//! [`check_head`] sees the same bytes first (the listener's connection wrapper feeds it every head
//! that starts on a clean boundary) and turns each of those failures into the usual
//! `{"error": {...}}` answer. It is a pure function of the bytes and the limits; it never decides
//! anything about routes or bodies beyond their declared framing. hyper's own limits are set
//! above these, so for checked heads hyper never rejects first.

use crate::config::ConnLimits;
use crate::error::ErrorCode;

/// What the bytes received so far say about a request head.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadVerdict {
    /// Not complete yet and not over a limit.
    Partial,
    /// A complete, acceptable head of `len` bytes; `body` is its declared framing.
    Complete { len: usize, body: BodyFraming },
    /// Refuse the request with `code` before routing.
    Reject {
        code: ErrorCode,
        message: String,
        method: String,
    },
}

/// How the request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length: n` (or no body: 0).
    Length(u64),
    /// `Transfer-Encoding` (chunked): the length is unknown up front.
    Chunked,
}

fn reject(code: ErrorCode, message: impl Into<String>, method: &str) -> HeadVerdict {
    HeadVerdict::Reject {
        code,
        message: message.into(),
        method: method.to_owned(),
    }
}

/// The request method, if the request line got that far (for the metrics label).
fn method_of(buf: &[u8]) -> String {
    let start = buf
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let end = rest.iter().position(|b| *b == b' ').unwrap_or(0);
    std::str::from_utf8(&rest[..end]).unwrap_or("").to_owned()
}

/// Checks the bytes of a head received so far; see the module docs.
pub fn check_head(buf: &[u8], limits: &ConnLimits, max_body_bytes: usize) -> HeadVerdict {
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    let parsed = req.parse(buf);
    let method = req.method.unwrap_or("").to_owned();
    let len = match parsed {
        Ok(httparse::Status::Partial) => {
            let line_done = buf
                .iter()
                .skip_while(|b| matches!(b, b'\r' | b'\n'))
                .any(|b| *b == b'\n');
            if !line_done && buf.len() > limits.max_uri_bytes + 32 {
                return reject(
                    ErrorCode::UriTooLong,
                    format!(
                        "the request target is longer than {} bytes",
                        limits.max_uri_bytes
                    ),
                    &method_of(buf),
                );
            }
            if buf.len() > limits.max_header_bytes {
                return reject(
                    ErrorCode::HeadersTooLarge,
                    format!(
                        "the request head is larger than {} bytes",
                        limits.max_header_bytes
                    ),
                    &method_of(buf),
                );
            }
            return HeadVerdict::Partial;
        }
        Ok(httparse::Status::Complete(n)) => n,
        Err(httparse::Error::TooManyHeaders) => {
            return reject(
                ErrorCode::HeadersTooLarge,
                format!(
                    "the request has more than {} header lines",
                    limits.max_headers
                ),
                &method_of(buf),
            )
        }
        Err(e) => {
            return reject(
                ErrorCode::InvalidRequest,
                format!("the request head is not valid HTTP/1.1: {e}"),
                &method_of(buf),
            )
        }
    };
    if req.path.map_or(0, str::len) > limits.max_uri_bytes {
        return reject(
            ErrorCode::UriTooLong,
            format!(
                "the request target is longer than {} bytes",
                limits.max_uri_bytes
            ),
            &method,
        );
    }
    if len > limits.max_header_bytes {
        return reject(
            ErrorCode::HeadersTooLarge,
            format!(
                "the request head is larger than {} bytes",
                limits.max_header_bytes
            ),
            &method,
        );
    }
    let mut length: Option<u64> = None;
    let mut transfer_encoding = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
        } else if h.name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return reject(
                    ErrorCode::InvalidRequest,
                    "Content-Length appears more than once",
                    &method,
                );
            }
            let v = h.value.trim_ascii();
            let n = if !v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
            } else {
                None
            };
            match n {
                Some(n) => length = Some(n),
                None => {
                    return reject(
                        ErrorCode::InvalidRequest,
                        "Content-Length is not a decimal number of bytes",
                        &method,
                    )
                }
            }
        }
    }
    if transfer_encoding && length.is_some() {
        return reject(
            ErrorCode::InvalidRequest,
            "a request may not carry both Transfer-Encoding and Content-Length",
            &method,
        );
    }
    if let Some(n) = length {
        if n > max_body_bytes as u64 {
            return reject(
                ErrorCode::PayloadTooLarge,
                format!("request body exceeds {max_body_bytes} bytes (Content-Length: {n})"),
                &method,
            );
        }
    }
    HeadVerdict::Complete {
        len,
        body: if transfer_encoding {
            BodyFraming::Chunked
        } else {
            BodyFraming::Length(length.unwrap_or(0))
        },
    }
}

/// A complete HTTP/1.1 error answer with the usual body, `X-Request-ID` and `Connection: close`.
pub fn render_rejection(code: ErrorCode, message: &str, request_id: &str) -> Vec<u8> {
    let body = super::middleware::error_body(code, message, request_id);
    let status = code.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}: {}\r\nconnection: close\r\n\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error"),
        body.len(),
        super::REQUEST_ID_HEADER,
        request_id,
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn limits() -> ConnLimits {
        Config::defaults().server.conn
    }

    fn code(head: &str) -> Option<ErrorCode> {
        match check_head(head.as_bytes(), &limits(), 1000) {
            HeadVerdict::Reject { code, .. } => Some(code),
            _ => None,
        }
    }

    #[test]
    fn good_heads_pass_with_their_framing() {
        let v = check_head(
            b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"query\":",
            &limits(),
            1000,
        );
        assert_eq!(
            v,
            HeadVerdict::Complete {
                len: 51,
                body: BodyFraming::Length(12)
            }
        );
        let v = check_head(
            b"\r\nPOST /ask HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            &limits(),
            1000,
        );
        assert!(matches!(
            v,
            HeadVerdict::Complete {
                body: BodyFraming::Chunked,
                ..
            }
        ));
        assert_eq!(
            check_head(b"GET /health HTTP/1.1\r\nHo", &limits(), 1000),
            HeadVerdict::Partial
        );
    }

    #[test]
    fn broken_framing_and_oversized_parts_are_refused() {
        let cl2 = "POST /ask HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n";
        assert_eq!(code(cl2), Some(ErrorCode::InvalidRequest));
        let bad = "POST /ask HTTP/1.1\r\nContent-Length: 5x\r\n\r\n";
        assert_eq!(code(bad), Some(ErrorCode::InvalidRequest));
        let neg = "POST /ask HTTP/1.1\r\nContent-Length: -1\r\n\r\n";
        assert_eq!(code(neg), Some(ErrorCode::InvalidRequest));
        let both = "POST /ask HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(code(both), Some(ErrorCode::InvalidRequest));
        let big = "POST /ask HTTP/1.1\r\nContent-Length: 1001\r\n\r\n";
        assert_eq!(code(big), Some(ErrorCode::PayloadTooLarge));
        let huge = "POST /ask HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(code(huge), Some(ErrorCode::InvalidRequest));
        let l = limits();
        let uri = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(l.max_uri_bytes));
        assert_eq!(code(&uri), Some(ErrorCode::UriTooLong));
        let uri_partial = format!("GET /{}", "a".repeat(l.max_uri_bytes + 40));
        assert_eq!(code(&uri_partial), Some(ErrorCode::UriTooLong));
        let fat = format!(
            "GET / HTTP/1.1\r\nX-Fat: {}\r\n\r\n",
            "f".repeat(l.max_header_bytes)
        );
        assert_eq!(code(&fat), Some(ErrorCode::HeadersTooLarge));
        let fat_partial = format!(
            "GET / HTTP/1.1\r\nX-Fat: {}",
            "f".repeat(l.max_header_bytes)
        );
        assert_eq!(code(&fat_partial), Some(ErrorCode::HeadersTooLarge));
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            (0..=l.max_headers)
                .map(|i| format!("X-{i}: v\r\n"))
                .collect::<String>()
        );
        assert_eq!(code(&many), Some(ErrorCode::HeadersTooLarge));
        assert_eq!(
            code("GET\0 / HTTP/1.1\r\n\r\n"),
            Some(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn rejection_is_a_complete_answer_with_the_error_body() {
        let r = render_rejection(ErrorCode::PayloadTooLarge, "too big", "req_1");
        let text = String::from_utf8(r).unwrap_or_default();
        assert!(
            text.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{text}"
        );
        assert!(text.contains("x-request-id: req_1\r\n"), "{text}");
        assert!(text.ends_with(
            r#"{"error":{"code":"payload_too_large","message":"too big","request_id":"req_1"}}"#
        ));
    }
}
