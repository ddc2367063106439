//! Body wrappers the listener puts around every request and response.
//!
//! - [`DeadlineBody`]: the request body must be complete within `server.body_timeout_ms` of the
//!   head's end (a total bound: a body trickled one byte every few seconds still ends). Past it
//!   the body yields an error, the request's [`BodyTimedOut`] flag is set (so the extractor
//!   answers 408 `request_timeout` rather than 400) and `http_connections_refused_total
//!   {reason="body_timeout"}` counts it once.
//! - [`TrackedBody`]: holds the connection's [`ActiveRequest`] guard until the response body is
//!   finished or dropped, so a response still being written (an SSE stream above all) keeps its
//!   connection "busy" and no idle or header timeout applies to it.
//!
//! Neither looks at the bytes.

use super::io::ActiveRequest;
use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use prometheus::IntCounter;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Set when a request's body ran out of time (a request extension).
#[derive(Clone, Debug, Default)]
pub struct BodyTimedOut(pub Arc<AtomicBool>);

impl BodyTimedOut {
    /// Whether the body deadline passed.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The error a request body yields past its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeoutError(pub Duration);

/// A request body with a total deadline; see the module docs.
pub struct DeadlineBody<B> {
    inner: B,
    deadline: Instant,
    limit: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    flag: BodyTimedOut,
    counter: IntCounter,
}

impl<B> DeadlineBody<B> {
    /// `inner` must be complete within `limit` from now.
    pub fn new(inner: B, limit: Duration, flag: BodyTimedOut, counter: IntCounter) -> Self {
        DeadlineBody {
            inner,
            deadline: Instant::now() + limit,
            limit,
            sleep: None,
            flag,
            counter,
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.flag.is_set() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeoutError(this.limit)))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(r) => Poll::Ready(r.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                let deadline = this.deadline;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.flag.0.store(true, Ordering::Relaxed);
                    this.counter.inc();
                    return Poll::Ready(Some(Err(Box::new(BodyTimeoutError(this.limit)))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its connection busy until it is finished or dropped.
pub struct TrackedBody<B> {
    inner: B,
    guard: Option<ActiveRequest>,
}

impl<B> TrackedBody<B> {
    /// Wraps `inner`, holding `guard` while it is written.
    pub fn new(inner: B, guard: ActiveRequest) -> Self {
        TrackedBody {
            inner,
            guard: Some(guard),
        }
    }
}

impl<B: Body + Unpin> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) {
            this.guard = None;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
