//! One client connection's socket as hyper sees it: [`GuardedIo`] enforces the idle, header and
//! write timeouts and checks each request head before hyper parses it.
//!
//! A connection is, at any moment, either *between requests* (no request in progress: hyper is
//! waiting for a head) or *busy* (a request was handed to the service and its response body is
//! not finished; [`Activity`] counts them). Between requests the wrapper reads the head into its
//! own buffer:
//!
//! - no byte for `server.idle_timeout_ms`: it reports end of stream, and hyper closes the idle
//!   connection as if the client had;
//! - a first byte, but no complete head within `server.header_timeout_ms`: the connection is
//!   closed with an error and `http_connections_refused_total{reason="header_timeout"}` counts it;
//! - a complete head that [`check_head`] refuses: the wrapper itself writes the error answer
//!   (body, `X-Request-ID`, counted in `http_requests_total` with route `unmatched`), reads and
//!   discards a little of what the client is still sending (so closing does not reset the
//!   connection before the client read the answer), then reports end of stream;
//! - a complete, acceptable head: the buffered bytes go to hyper unchanged.
//!
//! While busy, bytes pass straight through; the request body has its own deadline
//! (`body::DeadlineBody`) and a response being written (an SSE stream) is never idle. Any write
//! that makes no progress for `server.write_timeout_ms` fails the connection (a client that
//! stopped reading) and counts `write_timeout`.
//!
//! The wrapper only knows where the next head starts when the previous body had a known length
//! and nothing was sent past it. After a chunked body or pipelined bytes it passes everything
//! through for the rest of the connection; hyper's own header timeout (set to idle + header
//! timeout) and limits then apply, and hyper's bare error answers are what a client gets.

use super::head::{check_head, render_rejection, BodyFraming, HeadVerdict};
use super::middleware::method_label_str;
use crate::config::ConnLimits;
use crate::state::AppState;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// How long a refused connection's remaining input is read and discarded after the answer.
const LINGER: Duration = Duration::from_millis(500);
/// At most this much of a refused request's remaining input is read and discarded.
const LINGER_BYTES: usize = 64 * 1024;

/// Requests of one connection: how many were handed to the service, how many are busy.
#[derive(Default)]
pub struct Activity {
    started: AtomicU64,
    active: AtomicUsize,
}

impl Activity {
    /// Marks a request busy until the returned guard drops (the service calls this when hyper
    /// hands it a request; the guard travels into the response body).
    pub fn enter(self: &Arc<Self>) -> ActiveRequest {
        self.started.fetch_add(1, Ordering::AcqRel);
        self.active.fetch_add(1, Ordering::AcqRel);
        ActiveRequest(Arc::clone(self))
    }

    fn is_busy(&self) -> bool {
        self.active.load(Ordering::Acquire) > 0
    }

    fn started(&self) -> u64 {
        self.started.load(Ordering::Acquire)
    }
}

/// A busy request; see [`Activity::enter`].
pub struct ActiveRequest(Arc<Activity>);

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the wrapper does with reads.
enum Phase {
    /// Between requests: reading a head into `buf`.
    Head,
    /// Handing the accepted head (and whatever followed it) to hyper from `buf[pos..]`.
    Release { pos: usize },
    /// Busy, or given up on finding head boundaries (`sticky`): reads go straight through.
    Pass,
    /// Writing a refusal from `out[pos..]`.
    Refusing { out: Vec<u8>, pos: usize },
    /// Reading and discarding the refused client's input for a moment.
    Lingering { drained: usize },
    /// Only end of stream from now on.
    Closed,
}

/// Which deadline the timer is set to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timer {
    None,
    Idle,
    Header,
    Linger,
}

/// The connection's socket; see the module docs.
pub struct GuardedIo {
    inner: TcpStream,
    state: AppState,
    limits: ConnLimits,
    activity: Arc<Activity>,
    phase: Phase,
    buf: Vec<u8>,
    timer: Option<Pin<Box<Sleep>>>,
    timer_kind: Timer,
    write_timer: Option<Pin<Box<Sleep>>>,
    /// `Activity::started` when the last head was released: a later value means hyper took it.
    released_at: u64,
    /// Body bytes of the released request not yet read; `None`: unknown (chunked).
    body_left: Option<u64>,
    /// Head boundaries are unknown for the rest of the connection.
    sticky: bool,
    write_shut: bool,
}

impl GuardedIo {
    /// Wraps an accepted socket.
    pub fn new(inner: TcpStream, state: AppState, activity: Arc<Activity>) -> GuardedIo {
        let limits = state.config.server.conn;
        GuardedIo {
            inner,
            state,
            limits,
            activity,
            phase: Phase::Head,
            buf: Vec::new(),
            timer: None,
            timer_kind: Timer::None,
            write_timer: None,
            released_at: 0,
            body_left: Some(0),
            sticky: false,
            write_shut: false,
        }
    }

    fn set_timer(&mut self, kind: Timer, after: Duration) {
        let deadline = Instant::now() + after;
        match &mut self.timer {
            Some(t) => t.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
        self.timer_kind = kind;
    }

    fn timer_fired(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.timer {
            Some(t) if self.timer_kind != Timer::None => t.as_mut().poll(cx).is_ready(),
            _ => false,
        }
    }

    fn count(&self, reason: &str) {
        self.state
            .metrics
            .connections_refused
            .with_label_values(&[reason])
            .inc();
    }

    /// Enters the head phase when the released request is done and its body fully read.
    fn maybe_between_requests(&mut self) {
        if matches!(self.phase, Phase::Pass)
            && !self.sticky
            && self.body_left == Some(0)
            && !self.activity.is_busy()
            && self.activity.started() > self.released_at
        {
            self.phase = Phase::Head;
            self.buf.clear();
            self.set_timer(Timer::Idle, self.limits.idle_timeout);
        }
    }

    fn refuse(&mut self, code: crate::error::ErrorCode, message: &str, method: &str) {
        let request_id = self.state.next_request_id();
        self.state
            .metrics
            .http_requests
            .with_label_values(&[
                method_label_str(method),
                "unmatched",
                code.status().as_str(),
            ])
            .inc();
        tracing::debug!(
            request_id = %request_id,
            status = code.status().as_u16(),
            code = code.as_str(),
            "request refused before routing: {message}"
        );
        self.phase = Phase::Refusing {
            out: render_rejection(code, message, &request_id),
            pos: 0,
        };
        self.timer_kind = Timer::None;
    }

    fn read_head(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.timer_kind == Timer::None {
            self.set_timer(Timer::Idle, self.limits.idle_timeout);
        }
        loop {
            let mut tmp = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut tmp);
            match Pin::new(&mut self.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    let chunk = rb.filled();
                    if chunk.is_empty() {
                        // The client closed, idle or mid-head: end of stream for hyper too.
                        self.phase = Phase::Closed;
                        return Poll::Ready(Ok(false));
                    }
                    if self.buf.is_empty() {
                        self.set_timer(Timer::Header, self.limits.header_timeout);
                    }
                    let newline = chunk.contains(&b'\n');
                    self.buf.extend_from_slice(chunk);
                    let over = self.buf.len()
                        > self
                            .limits
                            .max_header_bytes
                            .min(self.limits.max_uri_bytes + 32);
                    if !newline && !over {
                        continue;
                    }
                    let max_body = self.state.config.server.limits.max_body_bytes;
                    match check_head(&self.buf, &self.limits, max_body) {
                        HeadVerdict::Partial => continue,
                        HeadVerdict::Complete { len, body } => {
                            let extra = (self.buf.len() - len) as u64;
                            match body {
                                BodyFraming::Length(n) if extra <= n => {
                                    self.body_left = Some(n - extra);
                                }
                                _ => {
                                    self.body_left = None;
                                    self.sticky = true;
                                }
                            }
                            self.released_at = self.activity.started();
                            self.timer_kind = Timer::None;
                            self.phase = Phase::Release { pos: 0 };
                            return Poll::Ready(Ok(true));
                        }
                        HeadVerdict::Reject {
                            code,
                            message,
                            method,
                        } => {
                            self.refuse(code, &message, &method);
                            return Poll::Ready(Ok(true));
                        }
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    if self.timer_fired(cx) {
                        return match self.timer_kind {
                            Timer::Header => {
                                self.count("header_timeout");
                                self.phase = Phase::Closed;
                                Poll::Ready(Err(io::Error::new(
                                    io::ErrorKind::TimedOut,
                                    "request head not received within server.header_timeout_ms",
                                )))
                            }
                            _ => {
                                self.phase = Phase::Closed;
                                Poll::Ready(Ok(false))
                            }
                        };
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Writes the refusal, shuts the write side, then discards input for a moment.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.phase {
                Phase::Refusing { out, pos } => {
                    while *pos < out.len() {
                        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &out[*pos..]))?;
                        if n == 0 {
                            self.phase = Phase::Closed;
                            return Poll::Ready(Ok(()));
                        }
                        *pos += n;
                    }
                    ready!(Pin::new(&mut self.inner).poll_shutdown(cx))?;
                    self.write_shut = true;
                    self.phase = Phase::Lingering { drained: 0 };
                    self.set_timer(Timer::Linger, LINGER);
                }
                Phase::Lingering { drained } => {
                    let mut tmp = [0u8; 4096];
                    let mut rb = ReadBuf::new(&mut tmp);
                    match Pin::new(&mut self.inner).poll_read(cx, &mut rb) {
                        Poll::Ready(Ok(())) if !rb.filled().is_empty() => {
                            *drained += rb.filled().len();
                            if *drained < LINGER_BYTES {
                                continue;
                            }
                            self.phase = Phase::Closed;
                        }
                        Poll::Ready(_) => self.phase = Phase::Closed,
                        Poll::Pending => {
                            if self.timer_fired(cx) {
                                self.phase = Phase::Closed;
                            } else {
                                return Poll::Pending;
                            }
                        }
                    }
                }
                _ => return Poll::Ready(Ok(())),
            }
        }
    }

    fn write_stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let limit = self.limits.write_timeout;
        let t = self
            .write_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(t.as_mut().poll(cx));
        self.write_timer = None;
        self.count("write_timeout");
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client read nothing for server.write_timeout_ms",
        ))
    }
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            this.maybe_between_requests();
            match &mut this.phase {
                Phase::Head => {
                    ready!(this.read_head(cx))?;
                }
                Phase::Release { pos } => {
                    let n = out.remaining().min(this.buf.len() - *pos);
                    out.put_slice(&this.buf[*pos..*pos + n]);
                    *pos += n;
                    if *pos == this.buf.len() {
                        this.buf = Vec::new();
                        this.phase = Phase::Pass;
                    }
                    return Poll::Ready(Ok(()));
                }
                Phase::Pass => {
                    let before = out.filled().len();
                    ready!(Pin::new(&mut this.inner).poll_read(cx, out))?;
                    let n = (out.filled().len() - before) as u64;
                    if let Some(left) = this.body_left {
                        if n > left {
                            this.sticky = true;
                            this.body_left = None;
                        } else {
                            this.body_left = Some(left - n);
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                Phase::Refusing { .. } | Phase::Lingering { .. } => {
                    ready!(this.poll_refusal(cx))?;
                }
                Phase::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_stalled(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_stalled(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_stalled(cx).map(Err),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.write_shut {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Ready(r) => {
                this.write_shut = true;
                Poll::Ready(r)
            }
            Poll::Pending => this.write_stalled(cx).map(Err),
        }
    }
}
