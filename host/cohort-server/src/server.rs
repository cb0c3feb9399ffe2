//! The accept loop and the request pipeline every request takes, in order: route lookup → authentication and the
//! route's roles (`auth`) → per-key rate limit (`limits`) → content type and encoding → body within its size limit
//! (compressed and decompressed, `encoding`) → JSON → handler; all under the request timeout. A federation peer's route takes its own order: content type → raw
//! body within its limit → the signed envelope checked over those bytes (`auth::authorise_peer`) → per-peer rate
//! limit → handler. Each request is logged once (route name, status, time, key id, request
//! id: never a path, query or body) and counted in the metrics.

use crate::auth::{self, Denied};
use crate::reply::{self, Reply};
use crate::rights::Op;
use crate::routes::{self, Access, Found, Handler, Route};
use crate::{App, ServerError, encoding, federation, ingest, oversight, rights, segments};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Accepts connections until `stop` resolves (a shutdown signal), then drains them within the grace period.
pub async fn accept_loop(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = &'static str>,
) -> Result<&'static str, ServerError> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let signal = stop;
    tokio::pin!(signal);
    let connections = Arc::new(tokio::sync::Semaphore::new(app.settings.max_connections));
    let name = loop {
        // At the connection cap, accept nothing until a connection closes: the kernel's backlog holds the rest.
        let permit = tokio::select! {
            name = &mut signal => break name,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break "the connection limiter closed",
            },
        };
        tokio::select! {
            name = &mut signal => break name,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment rather than spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let for_service = app.clone();
                let client = peer.ip();
                let service =
                    hyper::service::service_fn(move |req| handle(for_service.clone(), req, client));
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(app.settings.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection ended: {e}");
                    }
                    drop(permit);
                });
            }
        }
    };
    tracing::info!("{name} received: draining in-flight requests");
    app.set_ready(false);
    drop(listener);
    if tokio::time::timeout(app.settings.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {:?}; closing them",
            app.settings.shutdown_grace
        );
    }
    Ok(name)
}

/// One request: the pipeline, the log line, the metrics.
async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
    client: std::net::IpAddr,
) -> Result<Reply, Infallible> {
    let start = Instant::now();
    let request_id = new_request_id();
    let method = req.method().as_str().to_string();
    let outcome =
        tokio::time::timeout(app.settings.request_timeout, pipeline(&app, req, client)).await;
    let (route, key_id, mut reply) = match outcome {
        Ok(done) => done,
        Err(_) => (
            "unmatched",
            None,
            reply::error(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took longer than the server allows",
            ),
        ),
    };
    let status = reply.status().as_u16();
    let elapsed = start.elapsed();
    app.metrics.observe(route, status, elapsed);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        reply.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        target: "cohort_server::request",
        request_id = %request_id,
        method = %method,
        route = route,
        status = status,
        micros = elapsed.as_micros() as u64,
        key = key_id.as_deref().unwrap_or("-"),
        "request"
    );
    Ok(reply)
}

fn new_request_id() -> String {
    let mut b = [0u8; 8];
    let _ = cohort_crypto::random_bytes(&mut b);
    hex::encode(b)
}

type Outcome = (&'static str, Option<String>, Reply);

async fn pipeline(app: &Arc<App>, req: Request<Incoming>, client: std::net::IpAddr) -> Outcome {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let (route, params) = match routes::find(req.method().as_str(), &path) {
        Found::Route(r, p) => (r, p.into_iter().map(str::to_string).collect::<Vec<_>>()),
        Found::MethodNotAllowed(methods) => {
            let mut r = reply::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("this path takes {}", methods.join(", ")),
            );
            if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
                r.headers_mut().insert(ALLOW, v);
            }
            return ("unmatched", None, r);
        }
        Found::NotFound => {
            return (
                "unmatched",
                None,
                reply::error(StatusCode::NOT_FOUND, "not_found", "no such endpoint"),
            );
        }
    };
    if route.access == Access::Peer {
        return peer_pipeline(app, route, req).await;
    }
    // An address that failed to authenticate too often is refused before its key is even looked at.
    let client = format!("client:{client}");
    if route.access != Access::Public
        && let Some(failures) = &app.auth_failures
        && let Err(wait) = failures.check(&client, Instant::now())
    {
        return (
            route.name,
            None,
            reply::too_many(
                "too_many_failed_authentications",
                format!("too many failed authentications from this address; retry in {wait} s"),
                wait,
            ),
        );
    }
    let header_key = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| auth::presented_key(Some(v.as_bytes())))
        .transpose()
        .map(Option::flatten);
    // Segment's libraries may send the write key in the body (`writeKey`) instead of a header (analytics-python
    // does): for the tracking routes without an Authorization header, the body is read (within its limit) first.
    let mut req = Some(req);
    let mut early_body = None;
    let presented = match header_key {
        Err(denied) => Err(denied),
        Ok(Some(k)) => Ok(Some(k)),
        Ok(None) if route.is_tracking() => {
            let Some(r) = req.take() else {
                return (route.name, None, reply::internal());
            };
            match read_body(app, route, r).await {
                Err(reply) => return (route.name, None, reply),
                Ok(body) => {
                    let k = body
                        .json
                        .get("writeKey")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    early_body = Some(body);
                    Ok(k)
                }
            }
        }
        Ok(None) => Ok(None),
    };
    let authorised = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || match presented {
            Ok(key) => auth::authorise(&app.store, route, key),
            Err(denied) => Ok(Err(denied)),
        })
        .await
    };
    let key = match authorised {
        Ok(Ok(Ok(key))) => key,
        Ok(Ok(Err(Denied::Unauthenticated(why)))) => {
            if let Some(failures) = &app.auth_failures {
                // Counted whether or not a token is left: the next request from this address is the one refused.
                let _ = failures.take(&client, Instant::now());
            }
            let mut r = reply::error(StatusCode::UNAUTHORIZED, "unauthenticated", why);
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"cohort\", charset=\"UTF-8\""),
            );
            return (route.name, None, r);
        }
        Ok(Ok(Err(Denied::Forbidden { role, key_id }))) => {
            return (
                route.name,
                Some(key_id),
                reply::error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("a key with role `{role}` may not call this endpoint"),
                ),
            );
        }
        Ok(Err(e)) => {
            tracing::error!("authenticating: {e}");
            return (route.name, None, reply::internal());
        }
        Err(_) => return (route.name, None, reply::internal()),
    };
    let key_id = key.as_ref().map(|k| k.id.clone());
    if let Some(k) = &key
        && let Err(wait) = app.limiter.take(&k.id, Instant::now())
    {
        return (
            route.name,
            key_id,
            reply::too_many(
                "rate_limited",
                format!("this key sends faster than it may; retry in {wait} s"),
                wait,
            ),
        );
    }
    let body = match (early_body, req) {
        (Some(b), _) => Ok(b),
        (None, Some(r)) => read_body(app, route, r).await,
        (None, None) => Err(reply::internal()),
    };
    let reply = match body {
        Err(r) => r,
        Ok(body) => dispatch(app, route, params, query, body, key).await,
    };
    (route.name, key_id, reply)
}

/// A request's parsed JSON body, and whether it carried `Sec-GPC: 1`; `Null` for methods without a body.
struct Body {
    json: Value,
    gpc: bool,
}

/// The pipeline of a federation peer's route: no API key; the signed envelope is checked over the raw body.
async fn peer_pipeline(app: &Arc<App>, route: &'static Route, req: Request<Incoming>) -> Outcome {
    let envelope = match req.headers().get(cohort_federation::ENVELOPE_HEADER) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(text) => Some(text.to_string()),
            Err(_) => {
                return (
                    route.name,
                    None,
                    reply::error(
                        StatusCode::BAD_REQUEST,
                        "malformed_envelope",
                        "the federation envelope header is not ASCII text",
                    ),
                );
            }
        },
    };
    let body = match read_bytes(app, route, req).await {
        Ok(b) => b,
        Err(r) => return (route.name, None, r),
    };
    let verified = match crate::auth::authorise_peer(
        app.federation.as_deref(),
        envelope.as_deref(),
        &body.bytes,
        cohort_federation::unix_now(),
    ) {
        Ok(v) => v,
        Err(denied) => return (route.name, None, federation::denied(&denied)),
    };
    let who = format!("peer:{}", verified.from());
    if let Err(wait) = app.limiter.take(&who, Instant::now()) {
        return (
            route.name,
            Some(who),
            reply::too_many(
                "rate_limited",
                format!("this peer sends faster than it may; retry in {wait} s"),
                wait,
            ),
        );
    }
    let reply = federation::query(app.clone(), verified).await;
    (route.name, Some(who), reply)
}

/// A request's raw body (POST only; empty otherwise), and whether it carried `Sec-GPC: 1`.
struct RawBody {
    bytes: Vec<u8>,
    gpc: bool,
}

async fn read_body(app: &App, route: &Route, req: Request<Incoming>) -> Result<Body, Reply> {
    let raw = read_bytes(app, route, req).await?;
    if route.method != "POST" {
        return Ok(Body {
            json: Value::Null,
            gpc: raw.gpc,
        });
    }
    match serde_json::from_slice::<Value>(&raw.bytes) {
        Ok(json) => Ok(Body { json, gpc: raw.gpc }),
        // serde_json's message names line and column; its syntax errors do not quote the input.
        Err(e) => Err(reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

async fn read_bytes(app: &App, route: &Route, req: Request<Incoming>) -> Result<RawBody, Reply> {
    let gpc = req
        .headers()
        .get("sec-gpc")
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    if route.method != "POST" {
        return Ok(RawBody {
            bytes: Vec::new(),
            gpc,
        });
    }
    let encoding = encoding::parse(
        req.headers()
            .get(CONTENT_ENCODING)
            .map(HeaderValue::as_bytes),
    )
    .and_then(|e| match (e, route.handler) {
        // A peer's envelope is signed over the bytes as sent; peers never compress.
        (encoding::Encoding::Gzip, Handler::FederationQuery) => {
            Err(encoding::DecodeError::Unsupported("gzip".into()))
        }
        (e, _) => Ok(e),
    })
    .map_err(|e| {
        reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_encoding",
            e.to_string(),
        )
    })?;
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let json_type = match content_type.as_deref() {
        Some("application/json") => true,
        // RudderStack's Node.js SDK posts its gzipped JSON batches without a content type of its own, so its HTTP
        // client labels them a form. A gzip stream is never a form: on the tracking routes, read it as the JSON
        // it is (a body that is not JSON is still refused, with 400).
        Some("application/x-www-form-urlencoded") => {
            route.is_tracking() && encoding == encoding::Encoding::Gzip
        }
        _ => false,
    };
    if !json_type {
        return Err(reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let limit = match route.handler {
        Handler::SegmentCall(_) => app.settings.max_call_bytes,
        Handler::FederationQuery => federation::MAX_PEER_BODY_BYTES,
        _ => app.settings.max_body_bytes,
    };
    let too_large = || {
        reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {limit} bytes; nothing was stored"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = req.into_body();
    // An oversize body is still read (and dropped) up to `DRAIN_MAX_BYTES`, so the client finishes sending and
    // reads the 413 instead of a reset connection; beyond that the connection is closed.
    if declared.is_some_and(|n| n > limit as u64) {
        if declared.is_some_and(|n| n <= DRAIN_MAX_BYTES as u64) {
            drain(&mut body, DRAIN_MAX_BYTES).await;
        }
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if bytes.len() + data.len() > limit {
                        drain(&mut body, DRAIN_MAX_BYTES.saturating_sub(bytes.len())).await;
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                return Err(reply::error(
                    StatusCode::BAD_REQUEST,
                    "body_unreadable",
                    format!("the body could not be read: {e}"),
                ));
            }
        }
    }
    let bytes = encoding::decode(encoding, bytes, limit).map_err(|e| match e {
        encoding::DecodeError::TooLarge { .. } => reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            e.to_string(),
        ),
        _ => reply::error(StatusCode::BAD_REQUEST, "invalid_gzip", e.to_string()),
    })?;
    Ok(RawBody { bytes, gpc })
}

/// The most bytes of an oversize body read and dropped before answering 413.
const DRAIN_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Reads and drops up to `max` bytes of `body`.
async fn drain(body: &mut Incoming, max: usize) {
    let mut seen = 0usize;
    while seen < max {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}

async fn dispatch(
    app: &Arc<App>,
    route: &'static Route,
    params: Vec<String>,
    query: Option<String>,
    body: Body,
    key: Option<cohort_store::ApiKeyInfo>,
) -> Reply {
    let actor = key
        .as_ref()
        .map_or_else(|| "api:anonymous".to_string(), |k| format!("api:{}", k.id));
    let key_name = key.as_ref().map(|k| k.name.clone()).unwrap_or_default();
    let key_id = key.map(|k| k.id).unwrap_or_default();
    let param = params.into_iter().next().unwrap_or_default();
    let app = app.clone();
    match route.handler {
        Handler::Healthz => reply::json(StatusCode::OK, &json!({"status": "ok"})),
        Handler::Readyz => {
            if app.is_ready() {
                reply::json(StatusCode::OK, &json!({"status": "ready"}))
            } else {
                reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_ready",
                    "the server is starting or shutting down",
                )
            }
        }
        Handler::Metrics => reply::text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            app.metrics.render(),
        ),
        Handler::SegmentCall(call) => {
            ingest::handle(app, Some(call), body.json, body.gpc, key_id).await
        }
        Handler::SegmentBatch => ingest::handle(app, None, body.json, body.gpc, key_id).await,
        Handler::ConsentRecord => rights::handle(app, Op::ConsentRecord, body.json, actor).await,
        Handler::ConsentShow => rights::handle(app, Op::ConsentShow, body.json, actor).await,
        Handler::SubjectExport => rights::handle(app, Op::Export, body.json, actor).await,
        Handler::SubjectErase => rights::handle(app, Op::Erase, body.json, actor).await,
        Handler::SubjectRestrict => rights::handle(app, Op::Restrict, body.json, actor).await,
        Handler::SubjectObject => rights::handle(app, Op::Object, body.json, actor).await,
        Handler::SubjectRectify => rights::handle(app, Op::Rectify, body.json, actor).await,
        Handler::SubjectRequest => rights::request_status(app, param).await,
        Handler::Policy => oversight::policy(&app),
        Handler::PolicyExplain => oversight::policy_explain(&app),
        Handler::AuditLog => oversight::audit_log(app, query).await,
        Handler::AuditVerify => oversight::audit_verify(app).await,
        Handler::AuditCheckpoint => oversight::audit_checkpoint(app).await,
        Handler::ApiKeysList => oversight::keys_list(app).await,
        Handler::ApiKeysCreate => oversight::keys_create(app, body.json, actor).await,
        Handler::ApiKeysRevoke => oversight::keys_revoke(app, param, actor).await,
        Handler::SegmentsList => segments::list(app).await,
        Handler::SegmentsRun => segments::run(app, body.json, actor).await,
        Handler::SegmentsCount => segments::count(app, body.json, key_name).await,
        Handler::SegmentsExport => segments::export(app, body.json, actor).await,
        Handler::FederationCount => federation::count(app, body.json, key_name).await,
        // Peer routes never reach here: `pipeline` hands them to `peer_pipeline`, which checks the envelope.
        Handler::FederationQuery => {
            tracing::error!("a peer route reached the API-key dispatch");
            reply::internal()
        }
    }
}

/// Binds `addr`; port 0 picks a free port (the bound address is returned).
pub async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    Ok((listener, bound))
}
