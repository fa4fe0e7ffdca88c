//! `serve`'s connections (docs/security.md "serve"): every connection is bounded in time,
//! size and number, so slow or many clients cannot hold the process's descriptors or memory.
//!
//! - At most [`MAX_CONNECTIONS`] at once, and [`MAX_PER_CLIENT`] from one client (an IPv4
//!   address or an IPv6 /64): beyond either a connection gets `503` and is closed, so one
//!   client holding connections open does not keep Prometheus from `/metrics`.
//! - A request's headers must arrive within [`HEADER_TIMEOUT`] of the connection's start or of
//!   the previous response (an idle keep-alive connection is closed then too), and fit in
//!   [`MAX_REQUEST_BYTES`] (`431` beyond). Handlers read no body.
//! - A connection lives [`MAX_LIFETIME`] at most: then it finishes the request in flight
//!   (within [`GRACE`]) and is closed.
//! - A failed `accept` (too many open files) is counted in `ptrtrace_local_errors_total` and
//!   retried after a pause, never a busy loop.
//!
//! The listener can be replaced while serving (SIGHUP with a new `listen`): the loop takes
//! the new one from a watch channel and the old one closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use super::metrics::State;

/// Open connections at most.
pub const MAX_CONNECTIONS: usize = 256;
/// Open connections from one client at most.
pub const MAX_PER_CLIENT: usize = 32;
/// A request's headers arrive within this, and an idle keep-alive connection lasts this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's line and headers fit in this many bytes (hyper's smallest read buffer).
pub const MAX_REQUEST_BYTES: usize = 8192;
/// A connection is closed after this long, once its request in flight is answered.
pub const MAX_LIFETIME: Duration = Duration::from_secs(120);
/// How long a request in flight may take to finish once its connection is being closed.
pub const GRACE: Duration = Duration::from_secs(60);
/// The pause after a failed `accept`.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on the listener `listeners` holds (and on its replacements) until `stop`.
pub async fn serve(
    mut listeners: tokio::sync::watch::Receiver<Arc<TcpListener>>,
    app: axum::Router,
    state: Arc<State>,
    stop: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let per_client: PerClient = Arc::default();
    tokio::pin!(stop);
    loop {
        let listener = Arc::clone(&listeners.borrow_and_update());
        let accepted = tokio::select! {
            () = &mut stop => return,
            changed = listeners.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                let kind = ptrtrace_core::model::LocalKind::of(&e)
                    .map_or("accept_failed", ptrtrace_core::model::LocalKind::as_str);
                state.local_error(kind, 1);
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let client = ClientSlot::take(&per_client, peer);
        match (Arc::clone(&slots).try_acquire_owned(), client) {
            (Ok(slot), Some(client)) => {
                let app = app.clone();
                tokio::spawn(async move {
                    connection(stream, peer, app).await;
                    drop((slot, client));
                });
            }
            _ => {
                state.refused.inc();
                tokio::spawn(refuse(stream));
            }
        }
    }
}

/// Open connections per client.
type PerClient = Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>;

/// One of a client's [`MAX_PER_CLIENT`] connections, given back on drop.
struct ClientSlot {
    table: PerClient,
    key: std::net::IpAddr,
}

impl ClientSlot {
    fn take(table: &PerClient, peer: SocketAddr) -> Option<Self> {
        let key = super::clients::key(peer.ip());
        let mut t = table.lock().ok()?;
        let n = t.entry(key).or_insert(0);
        if *n >= MAX_PER_CLIENT {
            return None;
        }
        *n += 1;
        Some(Self {
            table: Arc::clone(table),
            key,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut t) = self.table.lock()
            && let Some(n) = t.get_mut(&self.key)
        {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.key);
            }
        }
    }
}

/// One connection, within the bounds above.
async fn connection(stream: TcpStream, peer: SocketAddr, app: axum::Router) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_REQUEST_BYTES);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = tokio::time::sleep(MAX_LIFETIME) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, conn).await;
        }
    }
}

/// Too many connections: a short 503 if the socket takes it at once, then close. What the
/// client already sent is read first (at most 16 KB, without waiting), or closing a socket
/// with unread data would reset the connection before the client reads the 503.
async fn refuse(stream: TcpStream) {
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 21\r\nconnection: close\r\n\r\ntoo many connections\n",
    );
    let mut buf = [0u8; 4096];
    for _ in 0..4 {
        match stream.try_read(&mut buf) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}
