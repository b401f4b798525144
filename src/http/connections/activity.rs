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
    /// Requests between their head and the end of their answer, and those answered.
    requests: watch::Sender<Requests>,
    /// Set when a request body timed out: the rest of it may still be on its way, so
    /// the connection cannot carry another request.
    close_when_idle: AtomicBool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Requests {
    in_flight: usize,
    /// Counted rather than signalled: a request may come and go before the deadlines
    /// are first looked at, and must still end the wait for the first head.
    answered: u64,
}

impl Activity {
    pub fn new() -> Self {
        Self {
            reads: AtomicU64::new(0),
            read: Notify::new(),
            requests: watch::Sender::new(Requests::default()),
            close_when_idle: AtomicBool::new(false),
        }
    }

    pub fn close_when_idle(&self) {
        self.close_when_idle.store(true, Ordering::Relaxed);
    }

    fn bytes_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.read.notify_one();
    }

    /// Completes when the connection is past a deadline: a new connection without a
    /// complete head within the header timeout; a connection silent for the idle
    /// timeout after its last answer, or without a complete head within the header
    /// timeout of the first byte that followed; or one whose body timed out, once its
    /// answer is sent. Never while a request is in flight.
    pub async fn deadline_passed(&self, limits: ConnectionLimits) {
        let mut requests = self.requests.subscribe();
        let mut deadline = Instant::now() + limits.header_timeout;
        let mut answered = 0;
        // Between requests, waiting for the first byte of the next one (`Some`: the
        // read count when the wait began).
        let mut idle_since: Option<u64> = None;
        loop {
            let now = *requests.borrow_and_update();
            if now.in_flight > 0 {
                let _ = requests.wait_for(|r| r.in_flight == 0).await;
                continue;
            }
            if now.answered != answered {
                // The last request in flight is answered.
                answered = now.answered;
                if self.close_when_idle.load(Ordering::Relaxed) {
                    return;
                }
                idle_since = Some(self.reads.load(Ordering::Relaxed));
                deadline = Instant::now() + limits.idle_timeout;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return,
                _ = requests.changed() => {}
                () = self.read.notified(), if idle_since.is_some() => {
                    if idle_since != Some(self.reads.load(Ordering::Relaxed)) {
                        idle_since = None;
                        deadline = Instant::now() + limits.header_timeout;
                    }
                }
            }
        }
    }
}

/// A request in flight, from its head until its answer's last byte is handed over.
pub struct InFlight(Arc<Activity>);

impl InFlight {
    pub fn enter(activity: &Arc<Activity>) -> Self {
        activity.requests.send_modify(|r| r.in_flight += 1);
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
        self.0.requests.send_modify(|r| {
            r.in_flight -= 1;
            r.answered += 1;
        });
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
            self.activity.bytes_read();
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

#[cfg(test)]
mod tests {
    //! On tokio's paused clock: time moves only when every task waits, so these check
    //! which deadline ends the wait, not how fast anything runs.

    use std::time::Duration;

    use super::*;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        header_timeout: Duration::from_secs(100),
        idle_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(1_000),
        max_connections: 1,
        max_h2_streams: 1,
    };

    /// How long (on the paused clock) until the deadline passes.
    async fn deadline_after(activity: &Activity) -> Duration {
        let started = Instant::now();
        activity.deadline_passed(LIMITS).await;
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_has_the_header_timeout() {
        let activity = Activity::new();
        assert_eq!(deadline_after(&activity).await, LIMITS.header_timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_answered_before_the_first_look_starts_the_idle_wait() {
        let activity = Arc::new(Activity::new());
        drop(InFlight::enter(&activity));
        assert_eq!(deadline_after(&activity).await, LIMITS.idle_timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn a_byte_after_the_answer_starts_the_header_wait() {
        let activity = Arc::new(Activity::new());
        drop(InFlight::enter(&activity));
        let reader = Arc::clone(&activity);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            reader.bytes_read();
        });
        let waited = deadline_after(&activity).await;
        assert_eq!(waited, Duration::from_secs(5) + LIMITS.header_timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_passes_while_a_request_is_in_flight() {
        let activity = Arc::new(Activity::new());
        let in_flight = InFlight::enter(&activity);
        let held =
            tokio::time::timeout(LIMITS.header_timeout * 10, activity.deadline_passed(LIMITS))
                .await;
        assert!(held.is_err(), "closed while a request was in flight");
        drop(in_flight);
        assert_eq!(deadline_after(&activity).await, LIMITS.idle_timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_out_body_closes_the_connection_once_answered() {
        let activity = Arc::new(Activity::new());
        let in_flight = InFlight::enter(&activity);
        activity.close_when_idle();
        drop(in_flight);
        assert_eq!(deadline_after(&activity).await, Duration::ZERO);
    }
}
