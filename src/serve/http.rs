//! The HTTP side: `POST /webhook`, `GET /healthz`, `GET /metrics`, on
//! hyper's HTTP/1 server. A delivery is answered at once: its size and
//! signature are checked before anything is parsed, a redelivered id is
//! acknowledged and dropped, and the work goes to the queue (202), or is
//! refused with 503 when the queue is full so that GitHub redelivers it.

use super::event::{self, Intake, Key, Target};
use super::queue::Offer;
use super::worker::Shared;
use super::{log_time, signature, MAX_BODY};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long shutdown waits for open connections.
const DRAIN: Duration = Duration::from_secs(20);
/// A client that sends no request head within this is dropped.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            conn = listener.accept() => {
                let Ok((stream, _)) = conn else {
                    // Out of file descriptors and the like: back off, stay up.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let shared = shared.clone();
                let service = hyper::service::service_fn(move |req| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(route(req, &shared).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

fn answer(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{body}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r
}

async fn route(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    match (req.method().clone(), path.as_str()) {
        (http::Method::GET, "/healthz") => text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into()),
        (http::Method::GET, "/metrics") => text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            shared
                .metrics
                .render(shared.queue.depth(), shared.queue.in_flight()),
        ),
        (http::Method::POST, "/webhook") => webhook(req, shared).await,
        (_, "/healthz" | "/metrics" | "/webhook") => answer(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "method not allowed"}),
        ),
        _ => answer(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    }
}

/// The reply to a delivery, and what the log line says about it.
struct Reply {
    status: StatusCode,
    outcome: &'static str,
    body: Value,
}

fn reply(status: StatusCode, outcome: &'static str, body: Value) -> Reply {
    Reply {
        status,
        outcome,
        body,
    }
}

async fn webhook(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let event = header("x-github-event").unwrap_or_default();
    let delivery = header("x-github-delivery").unwrap_or_default();
    let sig = header("x-hub-signature-256");
    let mut log = json!({"ts": log_time(), "msg": "delivery", "delivery": delivery, "event": event});
    let r = webhook_inner(req, shared, &event, &delivery, sig.as_deref(), &mut log).await;
    shared
        .metrics
        .delivery(if event.is_empty() { "none" } else { &event }, r.outcome);
    log["status"] = r.status.as_u16().into();
    log["outcome"] = r.outcome.into();
    if let Some(reason) = r.body.get("error").or_else(|| r.body.get("reason")) {
        log["reason"] = reason.clone();
    }
    (shared.config.log)(log);
    let mut resp = answer(r.status, r.body);
    if r.status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("30"));
    }
    resp
}

async fn webhook_inner(
    req: Request<Incoming>,
    shared: &Shared,
    event: &str,
    delivery: &str,
    sig: Option<&str>,
    log: &mut Value,
) -> Reply {
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(e) = signature::verify(&shared.config.webhook_secret, sig, &body) {
        return reply(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            json!({"error": e.to_string()}),
        );
    }
    if event.is_empty() {
        return reply(
            StatusCode::BAD_REQUEST,
            "bad_request",
            json!({"error": "no X-GitHub-Event header"}),
        );
    }
    if delivery.is_empty() || delivery.len() > 100 {
        return reply(
            StatusCode::BAD_REQUEST,
            "bad_request",
            json!({"error": "no usable X-GitHub-Delivery header"}),
        );
    }
    if shared.seen(delivery) {
        return reply(
            StatusCode::OK,
            "duplicate",
            json!({"status": "duplicate", "reason": "this delivery id was handled before"}),
        );
    }
    let intake = match event::parse(event, &body) {
        Ok(i) => i,
        Err(e) => {
            return reply(
                StatusCode::BAD_REQUEST,
                "bad_request",
                json!({"error": e.to_string()}),
            )
        }
    };
    let keys = match keys_to_judge(intake, shared, delivery, log) {
        Ok(keys) => keys,
        Err(r) => return r,
    };
    if let Some(k) = keys.first() {
        log["repo"] = k.repo.clone().into();
        match &k.target {
            Target::Pr(n) => log["pr"] = (*n).into(),
            Target::Base(b) => log["base"] = b.clone().into(),
        }
    }
    let outcome = match enqueue(shared, keys) {
        Ok(outcome) => outcome,
        Err(r) => return r,
    };
    shared.remember(delivery);
    reply(StatusCode::ACCEPTED, outcome, json!({"status": outcome}))
}

/// The request's body, refused over [`MAX_BODY`] (declared or read).
async fn read_body(req: Request<Incoming>) -> Result<Bytes, Reply> {
    let too_big = || {
        reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            json!({"error": format!("the body is over {MAX_BODY} bytes")}),
        )
    };
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_big());
    }
    match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_big()),
        Err(e) => Err(reply(
            StatusCode::BAD_REQUEST,
            "unreadable",
            json!({"error": format!("reading the body: {e}")}),
        )),
    }
}

/// What an event asks to judge; a ping or an event of no interest is
/// answered at once (and its delivery remembered).
fn keys_to_judge(
    intake: Intake,
    shared: &Shared,
    delivery: &str,
    log: &mut Value,
) -> Result<Vec<Key>, Reply> {
    match intake {
        Intake::Pong => {
            shared.remember(delivery);
            Err(reply(StatusCode::OK, "pong", json!({"status": "pong"})))
        }
        Intake::Ignore(why) => {
            shared.remember(delivery);
            Err(reply(
                StatusCode::ACCEPTED,
                "ignored",
                json!({"status": "ignored", "reason": why}),
            ))
        }
        Intake::Judge { key, pusher, fork } => {
            log["fork"] = fork.into();
            if let (Some(login), Target::Pr(n)) = (&pusher, &key.target) {
                if let Err(e) = shared.add_pusher(&key.repo, *n, login) {
                    // Without the pusher, they could approve their own push.
                    return Err(reply(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        json!({"error": e}),
                    ));
                }
            }
            Ok(vec![key])
        }
        Intake::JudgeMany(keys) => Ok(keys),
    }
}

/// Offers each key to the evaluation queue: `queued` when one was new,
/// `coalesced` when each was already waiting.
fn enqueue(shared: &Shared, keys: Vec<Key>) -> Result<&'static str, Reply> {
    let mut outcome = "coalesced";
    for k in keys {
        match shared.queue.offer(k) {
            Offer::Queued => outcome = "queued",
            Offer::Coalesced => {}
            Offer::Full => {
                return Err(reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "queue_full",
                    json!({"error": "the evaluation queue is full; GitHub will redeliver"}),
                ))
            }
            Offer::Closed => {
                return Err(reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "shutting_down",
                    json!({"error": "shutting down; GitHub will redeliver"}),
                ))
            }
        }
    }
    Ok(outcome)
}
