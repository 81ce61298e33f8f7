//! The HTTP server of `embargo serve`, with the bounds a server on the internet needs
//! (docs/operations.md#http): a connection must send a request's headers within the
//! header timeout (which also closes kept-alive connections left idle), a request must
//! be answered within the request timeout, and at most `max_connections` are open at
//! once; one more is answered 503 and closed at once, so that a crowd of slow clients
//! cannot use up the process's file descriptors and keep everyone else out.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::config::HttpSettings;

/// What a connection over the cap is told before it is closed.
const FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 50\r\nConnection: close\r\n\r\n\
too many connections; try again in a few seconds\r\n";

/// How long finishing the requests in flight may take at shutdown.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpSettings,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or the like: wait rather than spin.
                    tracing::warn!(error = %e, "accepting an HTTP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            refuse(&stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The peer address for the rate limits; the request timeout around each request.
        let router = router.clone();
        let limit = limits.request_timeout;
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let answer = tokio::time::timeout(limit, router.clone().oneshot(req.map(Body::new)));
            async move {
                Ok::<_, Infallible>(match answer.await {
                    Ok(Ok(res)) => res,
                    Ok(Err(never)) => match never {},
                    Err(_) => timed_out(limit),
                })
            }
        });
        let http = http.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, connections.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at shutdown were cut off");
    }
}

/// Answers a connection over the cap without reading it, and closes it: one write
/// that does not wait (a client that does not read simply misses the answer).
fn refuse(stream: &TcpStream) {
    tracing::debug!("an HTTP connection over the cap was refused");
    let _ = stream.try_write(FULL);
}

/// A request that took longer than the request timeout. Its handler is dropped (an
/// unfinished transaction rolls back); the client may try again.
fn timed_out(limit: Duration) -> Response<Body> {
    tracing::warn!(
        seconds = limit.as_secs(),
        "a request took longer than the request timeout"
    );
    let mut res = Response::new(Body::from(format!(
        "the request took longer than {} s; try again later\n",
        limit.as_secs()
    )));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
