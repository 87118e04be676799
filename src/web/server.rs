//! Serving a router on a listener: plain HTTP/1.1 (the reverse proxy speaks HTTP/2 to browsers)
//! with a deadline for a request's headers, a cap on open connections, and a graceful stop.
//! A client trickling its headers is cut off; one more client than the cap waits in the
//! listen queue until a connection closes; on stop, no new connection is taken and requests
//! in flight get the grace period to finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// How a listener treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

/// A pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` until `stop` turns true, then waits up to the grace period for open requests.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    loop {
        // The permit comes first: beyond the cap, connections stay in the kernel's queue.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit,
            () = stopped(&mut stop) => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        spawn_connection(&http, &graceful, router.clone(), accepted, permit);
    }
    // Closing the listener refuses new connections while the open ones finish.
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            seconds = limits.shutdown_grace.as_secs(),
            "requests still open after the grace period were cut off"
        );
    }
}

/// Serves one connection on its own task; the permit is held until the connection ends.
fn spawn_connection(
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    router: Router,
    (stream, peer): (TcpStream, SocketAddr),
    permit: OwnedSemaphorePermit,
) {
    // Handlers see the peer as axum's `ConnectInfo`, as with `into_make_service_with_connect_info`.
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let connection = graceful.watch(http.serve_connection(io(stream), service));
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, %peer, "connection ended with an error");
        }
        drop(permit);
    });
}

/// Resolves once `stop` is true (or its sender is gone).
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await: drop it here.
    drop(stop.wait_for(|stopping| *stopping).await);
}

fn io(stream: TcpStream) -> TokioIo<TcpStream> {
    // Small answers go out at once instead of waiting for more to send.
    let _ = stream.set_nodelay(true);
    TokioIo::new(stream)
}
