//! What a connection is doing, as its deadlines need to know: bytes read, requests in
//! flight (from head to the last byte of the answer), and whether it must close once
//! they are done.

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::{Notify, watch},
    time::Instant,
};

use super::ConnectionLimits;

pub struct Activity {
    /// Reads that returned bytes.
    reads: AtomicU64,
    /// Signalled on each of them.
    read: Notify,
    /// Requests between their head and the end of their answer.
    in_flight: watch::Sender<usize>,
    /// Set when a request body timed out: the rest of it may still be on its way, so
    /// the connection cannot carry another request.
    close_when_idle: AtomicBool,
}

impl Activity {
    pub fn new() -> Self {
        Self {
            reads: AtomicU64::new(0),
            read: Notify::new(),
            in_flight: watch::Sender::new(0),
            close_when_idle: AtomicBool::new(false),
        }
    }

    pub fn close_when_idle(&self) {
        self.close_when_idle.store(true, Ordering::Relaxed);
    }

    /// Completes when the connection is past a deadline: a new connection without a
    /// complete head within the header timeout; a connection silent for the idle
    /// timeout after its last answer, or without a complete head within the header
    /// timeout of the first byte that followed; or one whose body timed out, once its
    /// answer is sent. Never while a request is in flight.
    pub async fn deadline_passed(&self, limits: ConnectionLimits) {
        let mut in_flight = self.in_flight.subscribe();
        let mut deadline = Instant::now() + limits.header_timeout;
        // Between requests, waiting for the first byte of the next one (`Some`: the
        // read count when the wait began).
        let mut idle_since: Option<u64> = None;
        loop {
            if *in_flight.borrow_and_update() > 0 {
                let _ = in_flight.wait_for(|n| *n == 0).await;
            } else {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => return,
                    _ = in_flight.changed() => {
                        if *in_flight.borrow_and_update() > 0 {
                            continue;
                        }
                        // A request came and went between two looks.
                    }
                    () = self.read.notified(), if idle_since.is_some() => {
                        if idle_since != Some(self.reads.load(Ordering::Relaxed)) {
                            idle_since = None;
                            deadline = Instant::now() + limits.header_timeout;
                        }
                        continue;
                    }
                }
            }
            // The last request in flight is answered.
            if self.close_when_idle.load(Ordering::Relaxed) {
                return;
            }
            idle_since = Some(self.reads.load(Ordering::Relaxed));
            deadline = Instant::now() + limits.idle_timeout;
        }
    }
}

/// A request in flight, from its head until its answer's last byte is handed over.
pub struct InFlight(Arc<Activity>);

impl InFlight {
    pub fn enter(activity: &Arc<Activity>) -> Self {
        activity.in_flight.send_modify(|n| *n += 1);
        Self(Arc::clone(activity))
    }

    /// `body`, keeping the request in flight until it is sent (or dropped).
    pub fn until_sent<B>(self, body: B) -> Sending<B> {
        Sending {
            body,
            _in_flight: self,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n -= 1);
    }
}

/// An answer's body, with its request still counted in flight.
pub struct Sending<B> {
    body: B,
    _in_flight: InFlight,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Sending<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, counting the reads that return bytes.
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Tracked<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.reads.fetch_add(1, Ordering::Relaxed);
            self.activity.read.notify_one();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
