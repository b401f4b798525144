//! The listener: accepts TCP connections and serves HTTP/1.1 and cleartext HTTP/2 on
//! them with hyper, under bounds that keep slow or idle clients from holding every
//! socket:
//!
//! - at most `max_connections` open at once: past it, new connections wait in the
//!   kernel's backlog, unaccepted, until one closes (no file descriptor is spent on them);
//! - a new connection must deliver a complete request head within `header_timeout`;
//! - between requests, a connection may stay silent for `idle_timeout`; once a byte of
//!   the next request arrives, its head must be complete within `header_timeout`;
//! - a request body must arrive in full within `body_timeout` of its head; past it, the
//!   read fails (the handler answers 400) and the connection is closed;
//! - an HTTP/2 connection may open at most `max_h2_streams` streams at once.
//!
//! A connection past a deadline is closed without an answer. On shutdown, no connection
//! is accepted any more, open ones finish their requests (HTTP/2 gets a GOAWAY), and
//! those still open after the grace are dropped.

mod activity;
mod deadline_body;
pub mod open_files;

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use poem::{
    Endpoint, Request,
    http::uri::Scheme,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{net::TcpListener, sync::Semaphore, task::JoinSet};

use activity::{Activity, InFlight, Tracked};
use deadline_body::with_deadline;

/// How long a connection may take over each part of its life, and how many there may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `HTTP_HEADER_TIMEOUT_SECS`: from a new connection, or the first byte of a next
    /// request, to a complete request head.
    pub header_timeout: Duration,
    /// `HTTP_IDLE_TIMEOUT_SECS`: silence allowed between requests on a kept-alive connection.
    pub idle_timeout: Duration,
    /// `HTTP_BODY_TIMEOUT_SECS`: from a request's head to the end of its body.
    pub body_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS`, clamped below the open-file limit at start-up.
    pub max_connections: usize,
    /// `HTTP_MAX_H2_STREAMS`: concurrent streams of one HTTP/2 connection.
    pub max_h2_streams: u32,
}

/// HTTP/2 streams a client may reset before being answered, per connection (poem's and
/// hyper's usual bound against rapid-reset floods).
const MAX_PENDING_RESET_STREAMS: usize = 20;
/// The largest HTTP/2 header list accepted, as HTTP/1 allows about as much.
const MAX_H2_HEADER_LIST_BYTES: u32 = 16 * 1024;
/// After a failed `accept` (out of file descriptors, mostly), wait this long before the
/// next one rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `ep` on `listener` under `limits` until `stop` completes, then lets open
/// connections finish for up to `grace`.
pub async fn serve<E>(
    listener: TcpListener,
    ep: E,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    E: Endpoint + 'static,
{
    let ep = Arc::new(ep);
    let local = LocalAddr(listener.local_addr()?.into());
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let permit = tokio::select! {
            () = &mut stop => break,
            permit = Arc::clone(&permits).acquire_owned() => {
                permit.expect("the semaphore is never closed")
            }
        };
        let (stream, remote) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        while let Some(done) = connections.try_join_next() {
            log_panic(done);
        }
        let connection = Connection {
            ep: Arc::clone(&ep),
            local: local.clone(),
            remote,
            limits,
            stopped: stopped.clone(),
        };
        connections.spawn(async move {
            connection.serve(stream).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    let drained = tokio::time::timeout(grace, async {
        while let Some(done) = connections.join_next().await {
            log_panic(done);
        }
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open = connections.len(),
            "closing the connections still open after the shutdown grace"
        );
    }
    connections.shutdown().await;
    Ok(())
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done
        && error.is_panic()
    {
        tracing::error!(%error, "a connection's task panicked");
    }
}

/// One accepted connection and what serving it needs.
struct Connection<E> {
    ep: Arc<E>,
    local: LocalAddr,
    remote: SocketAddr,
    limits: ConnectionLimits,
    stopped: tokio::sync::watch::Receiver<bool>,
}

impl<E: Endpoint + 'static> Connection<E> {
    async fn serve(mut self, stream: tokio::net::TcpStream) {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked::new(stream, Arc::clone(&activity)));
        let service = {
            let activity = Arc::clone(&activity);
            let ep = Arc::clone(&self.ep);
            let local = self.local.clone();
            let remote = RemoteAddr(self.remote.into());
            let body_timeout = self.limits.body_timeout;
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let in_flight = InFlight::enter(&activity);
                let request = Request::from((req, local.clone(), remote.clone(), Scheme::HTTP));
                let request = with_deadline(request, body_timeout, &activity);
                let ep = Arc::clone(&ep);
                async move {
                    let response: hyper::Response<_> = ep.get_response(request).await.into();
                    Ok::<_, Infallible>(response.map(|body| in_flight.until_sent(body)))
                }
            })
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().keep_alive(true);
        builder
            .http2()
            .max_concurrent_streams(self.limits.max_h2_streams)
            .max_pending_accept_reset_streams(MAX_PENDING_RESET_STREAMS)
            .max_header_list_size(MAX_H2_HEADER_LIST_BYTES);
        let connection = builder.serve_connection(io, service);
        let mut connection = std::pin::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => return,
            () = activity.deadline_passed(self.limits) => {
                tracing::debug!(remote = %self.remote, "closing a connection past its deadline");
                return;
            }
            _ = self.stopped.wait_for(|stopped| *stopped) => {}
        }
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
    }
}
