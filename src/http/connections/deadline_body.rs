//! A request body that must arrive in full within the body timeout of its head.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use super::activity::Activity;

/// `request` with its body (if it has one) cut off `timeout` from now: a read past it
/// fails, and the connection closes once the request is answered.
pub fn with_deadline(
    mut request: poem::Request,
    timeout: Duration,
    activity: &Arc<Activity>,
) -> poem::Request {
    let body = BoxBody::from(request.take_body());
    if body.is_end_stream() {
        request.set_body(poem::Body::from(body));
        return request;
    }
    let timed = Deadline {
        inner: body,
        expires: Box::pin(tokio::time::sleep(timeout)),
        activity: Arc::clone(activity),
        expired: false,
    };
    request.set_body(poem::Body::from(BoxBody::new(timed)));
    request
}

struct Deadline {
    inner: BoxBody<Bytes, io::Error>,
    expires: Pin<Box<Sleep>>,
    activity: Arc<Activity>,
    expired: bool,
}

impl Body for Deadline {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.expires.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.expired = true;
        this.activity.close_when_idle();
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "it did not arrive in full within the body timeout",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        self.expired || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
