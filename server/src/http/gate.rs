//! The gate in front of every API route: who is calling, and whether their rate limit lets this
//! request through.
//!
//! 1. The caller: an API key's user at the key's tier, or an anonymous client address at the
//!    `anonymous` tier ([`Caller`], 401 for a bad key). A request presenting the admin key passes
//!    untouched: admin endpoints check it themselves ([`super::auth::Admin`]) and are not limited.
//! 2. The client address: the socket's peer; `X-Forwarded-For` counts only when the peer is one
//!    of `auth.trusted_proxies`, read right to left up to the first address that is not a proxy.
//! 3. The rate limit of the caller's tier, keyed by [`Principal::id`] (on Redis when configured):
//!    a refusal is 429 `rate_limited` with `Retry-After`; every answer of a limited tier carries
//!    `X-RateLimit-Limit` (per minute), `X-RateLimit-Remaining` and `X-RateLimit-Reset`
//!    (seconds until the full burst is back).
//!
//! The [`Principal`] goes into the request's extensions for the handlers.

use super::auth::{is_admin, presented_key, Caller};
use crate::error::{AppError, ErrorCode};
use crate::pipeline::Principal;
use crate::ratelimit::Verdict;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

static LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
static REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The middleware; see the module docs.
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if let Ok(Some(k)) = presented_key(&parts.headers) {
        if is_admin(&state, Some(&k)) {
            return next.run(Request::from_parts(parts, body)).await;
        }
    }
    let principal = match resolve(&mut parts, &state).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let verdict = state.limits.check(principal.tier, &principal.id).await;
    if let Some(v) = verdict.filter(|v| !v.allowed) {
        let by = if principal.user_id.is_some() {
            "key"
        } else {
            "address"
        };
        state
            .metrics
            .rate_limit_refusals
            .with_label_values(&[principal.tier.as_str(), by])
            .inc();
        let mut res = AppError::new(
            ErrorCode::RateLimited,
            format!(
                "rate limit of the {} tier reached ({} requests per minute); retry after {} s",
                principal.tier.as_str(),
                v.limit,
                v.retry_after_secs
            ),
        )
        .with_retry_after(v.retry_after_secs)
        .into_response();
        headers(res.headers_mut(), v);
        return res;
    }
    parts.extensions.insert(principal);
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if let Some(v) = verdict {
        headers(res.headers_mut(), v);
    }
    res
}

fn headers(h: &mut HeaderMap, v: Verdict) {
    h.insert(LIMIT.clone(), HeaderValue::from(v.limit));
    h.insert(REMAINING.clone(), HeaderValue::from(v.remaining));
    h.insert(RESET.clone(), HeaderValue::from(v.reset_secs));
}

/// The caller of a request (its key, else its client address).
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Principal, AppError> {
    let caller = Caller::from_request_parts(parts, state).await?;
    Ok(match caller {
        Caller::Key(owner) => Principal::key(owner.user_id, owner.tier),
        Caller::Anonymous => {
            let peer = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            Principal::anonymous(
                peer.map(|p| client_addr(p, &parts.headers, &state.config.auth.trusted_proxies)),
            )
        }
    })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    /// The gate's principal, or (on a route without the gate) the same resolution.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        resolve(parts, state).await
    }
}

/// The client's address: `peer`, or, when `peer` is a trusted proxy, the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy (a client can prepend anything to the
/// header, so only what trusted proxies appended counts).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(a));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(a) if is_trusted(&a) => continue,
            Ok(a) => return a,
            // Garbage in the chain: stop believing it at that point.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn xff(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let h = xff(&["198.51.100.7"]);
        assert_eq!(
            client_addr(stranger, &h, &trusted),
            stranger,
            "untrusted peer"
        );
        assert_eq!(client_addr(proxy, &h, &[]), proxy, "no trusted proxies");
        assert_eq!(
            client_addr(proxy, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A client-supplied prefix is ignored: the right-most untrusted hop is the client.
        let h = xff(&["1.1.1.1, 198.51.100.7", "10.9.9.9"]);
        assert_eq!(
            client_addr(proxy, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(proxy, &xff(&["not-an-ip"]), &trusted), proxy);
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_addr(proxy, &xff(&["10.2.2.2"]), &trusted), proxy);
    }
}
