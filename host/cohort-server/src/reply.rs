//! Responses: JSON bodies with the right status and headers, and the one error shape every endpoint uses:
//! `{"success": false, "code": "...", "message": "...", "error": {"code": "...", "message": "...", "fields": [...]}}`.
//! `success`, and `code` and `message` at the top, are what Segment's SDKs read from an error answer.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// A response ready to send.
pub type Reply = Response<Full<Bytes>>;

/// A JSON response.
pub fn json(status: StatusCode, body: &Value) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A plain-text response.
pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A response of bytes sent exactly as given (a signed federation answer: its signature covers these bytes).
pub fn bytes(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A 429 with `Retry-After: wait` (seconds).
pub fn too_many(code: &str, message: impl Into<String>, wait: u64) -> Reply {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, code, message);
    r.headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from(wait));
    r
}

/// Segment's success answer.
pub fn success() -> Reply {
    json(StatusCode::OK, &json!({"success": true}))
}

/// An error answer: `code` is a stable machine-readable name, `message` says what to do.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    json(status, &{
        let message = message.into();
        json!({"success": false, "code": code, "message": message,
                   "error": {"code": code, "message": message}})
    })
}

/// An error answer naming fields.
pub fn invalid_fields(message: &str, fields: Value) -> Reply {
    json(
        StatusCode::BAD_REQUEST,
        &json!({"success": false, "code": "invalid_fields", "message": message,
                "error": {"code": "invalid_fields", "message": message, "fields": fields}}),
    )
}

/// A store or internal failure: the details go to the log, not to the caller.
pub fn internal() -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed to process the request; it was not stored (see the server log)",
    )
}
