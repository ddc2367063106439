//! The accept loop: admission (caps per client address and in total), one hyper HTTP/1.1
//! connection per socket behind [`GuardedIo`] (timeouts, head checks), and graceful shutdown
//! within `server.shutdown_timeout_ms`.
//!
//! axum's own `serve` has no timeouts, caps or shutdown deadline, so this module replaces it;
//! the application is still the one `Router` (`crate::app`). Over a cap a new connection is
//! closed at once, before any byte is read, and counted in
//! `http_connections_refused_total{reason}`; the first refusal in each second is logged.
//! Accept errors (out of descriptors above all) are logged at most once a second and the loop
//! pauses briefly instead of spinning.
//!
//! Shutdown: stop accepting; every connection is told to finish (hyper closes one between
//! requests at once, partial heads included, and one with a request in progress after its
//! response); at the deadline whatever is left is dropped (sockets closed); then
//! `AppState::drain` gets what remains of the deadline, at least [`DRAIN_FLOOR`].

use super::body::{BodyTimedOut, DeadlineBody, TrackedBody};
use super::io::{Activity, GuardedIo};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tower::ServiceExt;

/// The least time the drain (answers in flight, the ledger) gets after the connections closed.
pub const DRAIN_FLOOR: Duration = Duration::from_secs(2);

/// What the connections are told.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Running,
    /// Finish the request in progress, then close; close now if between requests.
    Finish,
    /// Close now.
    Close,
}

/// Open connections, in total and per client address.
struct Admission {
    open: Mutex<HashMap<IpAddr, usize>>,
    total: std::sync::atomic::AtomicUsize,
    all_closed: Notify,
    state: AppState,
}

/// Holds one admitted connection's place until it drops.
struct Admitted {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let a = &self.admission;
        {
            let mut open = a
                .open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = open.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.ip);
                }
            }
        }
        let left = a.total.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) - 1;
        a.state.metrics.connections_active.dec();
        if left == 0 {
            a.all_closed.notify_waiters();
        }
    }
}

impl Admission {
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admitted, &'static str> {
        let limits = &self.state.config.server.conn;
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.total.load(std::sync::atomic::Ordering::Acquire) >= limits.max_connections {
            return Err("total_cap");
        }
        let n = open.entry(ip).or_insert(0);
        if *n >= limits.max_connections_per_address {
            return Err("per_address_cap");
        }
        *n += 1;
        self.total.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.state.metrics.connections_active.inc();
        Ok(Admitted {
            admission: Arc::clone(self),
            ip,
        })
    }

    fn total(&self) -> usize {
        self.total.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Waits until no connection is open or `deadline` passes; true when none is open.
    async fn wait_closed(&self, deadline: Instant) -> bool {
        loop {
            let notified = self.all_closed.notified();
            if self.total() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.total() == 0;
            }
        }
    }
}

/// Logs an event at most once a second, with how many were not logged.
struct Throttled {
    last: Option<std::time::Instant>,
    skipped: u64,
}

impl Throttled {
    fn new() -> Throttled {
        Throttled {
            last: None,
            skipped: 0,
        }
    }

    /// `Some(skipped)` when this occurrence should be logged.
    fn hit(&mut self) -> Option<u64> {
        let now = std::time::Instant::now();
        match self.last {
            Some(t) if now.duration_since(t) < Duration::from_secs(1) => {
                self.skipped += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.skipped))
            }
        }
    }
}

/// The per-connection hyper service: marks the connection busy, bounds the request body, adds
/// the peer address, and runs the router.
#[derive(Clone)]
struct ConnService {
    router: axum::Router,
    activity: Arc<Activity>,
    state: AppState,
    peer: SocketAddr,
}

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = hyper::Response<TrackedBody<Body>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let guard = self.activity.enter();
        let flag = BodyTimedOut::default();
        let counter = self
            .state
            .metrics
            .connections_refused
            .with_label_values(&["body_timeout"]);
        let limit = self.state.config.server.conn.body_timeout;
        let body_flag = flag.clone();
        let mut req = req.map(move |b| Body::new(DeadlineBody::new(b, limit, body_flag, counter)));
        req.extensions_mut().insert(flag);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        Box::pin(async move {
            let res = match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok(res.map(|b| TrackedBody::new(b, guard)))
        })
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then shuts down as the module docs
/// say. Returns once every connection is closed and the drain is done.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::app(state.clone());
    let limits = state.config.server.conn;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        // A backstop for connections whose head boundaries GuardedIo gave up on; for the others
        // GuardedIo's own idle and header timeouts always fire first.
        .header_read_timeout(limits.idle_timeout + limits.header_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size((limits.max_header_bytes + 8192).max(400 * 1024));
    let admission = Arc::new(Admission {
        open: Mutex::new(HashMap::new()),
        total: std::sync::atomic::AtomicUsize::new(0),
        all_closed: Notify::new(),
        state: state.clone(),
    });
    let (stage_tx, stage_rx) = watch::channel(Stage::Running);
    let mut refused_log = Throttled::new();
    let mut accept_log = Throttled::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => r,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                if let Some(skipped) = accept_log.hit() {
                    tracing::warn!(error = %e, skipped, "accept failed (out of descriptors?); pausing");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let admitted = match admission.admit(peer.ip()) {
            Ok(a) => a,
            Err(reason) => {
                drop(tcp);
                state
                    .metrics
                    .connections_refused
                    .with_label_values(&[reason])
                    .inc();
                if let Some(skipped) = refused_log.hit() {
                    tracing::warn!(
                        reason,
                        skipped,
                        open = admission.total(),
                        "connection refused: over the connection cap"
                    );
                }
                continue;
            }
        };
        spawn_connection(
            tcp,
            peer,
            admitted,
            http.clone(),
            router.clone(),
            state.clone(),
            stage_rx.clone(),
        );
    }
    drop(listener);
    let started = Instant::now();
    let deadline = started + state.config.server.shutdown_timeout;
    let open = admission.total();
    tracing::info!(open, "stopped accepting; finishing requests in progress");
    let _ = stage_tx.send(Stage::Finish);
    if !admission.wait_closed(deadline).await {
        tracing::warn!(
            open = admission.total(),
            "shutdown deadline reached; closing the remaining connections"
        );
        let _ = stage_tx.send(Stage::Close);
        admission
            .wait_closed(Instant::now() + Duration::from_secs(1))
            .await;
    }
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(DRAIN_FLOOR);
    state.drain(left).await;
    Ok(())
}

fn spawn_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    admitted: Admitted,
    http: hyper::server::conn::http1::Builder,
    router: axum::Router,
    state: AppState,
    mut stage: watch::Receiver<Stage>,
) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    tokio::spawn(async move {
        let _admitted = admitted;
        let counter = state
            .metrics
            .connections_refused
            .with_label_values(&["header_timeout"]);
        let activity = Arc::new(Activity::default());
        let io = GuardedIo::new(tcp, state.clone(), Arc::clone(&activity));
        let service = ConnService {
            router,
            activity,
            state,
            peer,
        };
        let conn = http.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let mut watching = true;
        loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        if e.is_timeout() {
                            // hyper's backstop header timeout (see `serve`).
                            counter.inc();
                        }
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    break;
                }
                changed = stage.changed(), if watching => {
                    if changed.is_err() {
                        watching = false;
                        continue;
                    }
                    let now = *stage.borrow_and_update();
                    match now {
                        Stage::Running => {}
                        Stage::Finish => conn.as_mut().graceful_shutdown(),
                        Stage::Close => break,
                    }
                }
            }
        }
    });
}
