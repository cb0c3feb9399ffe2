//! The HTTP client: what the federation coordinator posts its signed queries with, and what `cohort federate
//! count` asks its own server with. hyper-util's pooled HTTP/1.1 client over plain TCP; no TLS (peers talk over
//! a trusted network, or through a TLS-originating proxy beside each host: `docs/federation.md`). Every answer's
//! body is read within a limit the caller gives.

use crate::ServerError;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::time::Duration;

/// Idle pooled connections are closed after this long: shorter than the server side's usual keep-alive, so the
/// client rarely picks a connection the other side is closing.
const POOL_IDLE: Duration = Duration::from_secs(20);
/// Time to open a TCP connection; a peer that does not accept within it is down as far as the caller cares.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled HTTP/1.1 client. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// An answer: status, headers and the body read within its limit.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name`, when it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The message of an error answer in this API's shape (`error.message`, or `message`), else the body's start.
    pub fn error_message(&self) -> String {
        let json: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        let message = json.as_ref().and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
        let text = message.unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        // The message comes from another process: one line, bounded.
        let mut clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_MESSAGE_CHARS)
            .collect();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            clean.push('…');
        }
        clean
    }
}

/// Longest error message taken from another process's answer.
const MAX_MESSAGE_CHARS: usize = 500;

impl HttpClient {
    /// A client with its own connection pool.
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let inner = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector);
        Self { inner }
    }

    /// POSTs `body` as JSON to `url` (`http://` only) with `headers`, and reads the answer's body within
    /// `max_body` bytes. No timeout of its own: callers bound the whole exchange.
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        max_body: usize,
    ) -> Result<Response, ServerError> {
        let fail = |reason: String| ServerError::Request {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|e| fail(format!("not a URL: {e}")))?;
        if uri.scheme_str() != Some("http") {
            return Err(fail(
                "only http:// URLs are supported (put a TLS-originating proxy in front for https)"
                    .into(),
            ));
        }
        let mut request = Request::post(uri)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| fail(e.to_string()))?;
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| fail(format!("header {name}: {e}")))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| fail(format!("header {name}: {e}")))?;
            request.headers_mut().insert(name, value);
        }
        let response = self
            .inner
            .request(request)
            .await
            .map_err(|e| fail(describe(&e)))?;
        let status = response.status().as_u16();
        let (parts, incoming) = response.into_parts();
        let body = Limited::new(incoming, max_body)
            .collect()
            .await
            .map_err(|e| {
                fail(format!(
                    "reading the answer (at most {max_body} bytes): {e}"
                ))
            })?
            .to_bytes()
            .to_vec();
        Ok(Response {
            status,
            headers: parts.headers,
            body,
        })
    }
}

/// A client error with its causes (hyper-util's error says only "client error (Connect)" at the top).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// [`HttpClient::post_json`] from synchronous code (the CLI), on a runtime of its own, within `timeout`.
pub fn post_json_blocking(
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    max_body: usize,
    timeout: Duration,
) -> Result<Response, ServerError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Start)?;
    runtime.block_on(async {
        let client = HttpClient::new();
        match tokio::time::timeout(timeout, client.post_json(url, headers, body, max_body)).await {
            Ok(result) => result,
            Err(_) => Err(ServerError::Request {
                url: url.to_owned(),
                reason: format!("no answer within {} s", timeout.as_secs()),
            }),
        }
    })
}
