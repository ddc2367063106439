//! Who is calling: an API key (`Authorization: Bearer cgk_…` or `X-API-Key: cgk_…`) or nobody.
//!
//! [`Caller`] is an extractor whose rejections are 401 `unauthorized`: a key that is unknown,
//! revoked or malformed, two different keys in the two headers, or no key while
//! `auth.anonymous = "deny"`. With a key, the caller's identity is the key's user id and the
//! body's `user_id` plays no part in it (the handler replaces it). [`is_admin`] compares a
//! presented admin key with `CHARTGATE_AUTH__ADMIN_KEY` in constant time.
//!
//! Keys are looked up by their SHA-256 on the store's blocking bridge (`store::keys`); neither
//! the key nor its hash is ever logged.

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::keys::{self, KeyOwner};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

/// The header a key may also be sent in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No key (allowed by `auth.anonymous = "allow"`).
    Anonymous,
    /// A valid, unrevoked key.
    Key(KeyOwner),
}

fn unauthorized(message: &str) -> AppError {
    AppError::new(ErrorCode::Unauthorized, message)
}

/// The key presented in `headers`, if any (`Err` for a malformed or ambiguous presentation).
pub fn presented_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let bearer = match headers.get(AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| unauthorized("Authorization is not valid text"))?;
            let (scheme, token) = v.trim().split_once(' ').unwrap_or((v, ""));
            if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                return Err(unauthorized("Authorization must be `Bearer <API key>`"));
            }
            Some(token.trim().to_owned())
        }
    };
    let header = match headers.get(API_KEY_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| unauthorized("X-API-Key is not valid text"))?
                .trim()
                .to_owned(),
        ),
    };
    match (bearer, header) {
        (Some(a), Some(b)) if a != b => Err(unauthorized(
            "Authorization and X-API-Key carry different keys",
        )),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let presented = presented_key(&parts.headers).inspect_err(|_| {
            count_failure(state, "malformed");
        })?;
        let Some(key) = presented else {
            if state.config.auth.allow_anonymous {
                return Ok(Caller::Anonymous);
            }
            count_failure(state, "anonymous_denied");
            return Err(unauthorized(
                "an API key is required (Authorization: Bearer <key> or X-API-Key)",
            ));
        };
        match keys::lookup(&state.store, key).await {
            Ok(Some(owner)) => Ok(Caller::Key(owner)),
            Ok(None) => {
                count_failure(state, "unknown_key");
                Err(unauthorized("unknown or revoked API key"))
            }
            Err(e) => {
                count_failure(state, "lookup_error");
                tracing::error!(error = %e, "API key lookup failed");
                Err(AppError::new(ErrorCode::Internal, "internal error"))
            }
        }
    }
}

/// A request that presented the admin key (`Authorization: Bearer <admin key>` or `X-API-Key`).
///
/// Rejections: no key or an unknown one is 401 `unauthorized`; a valid API key (which has no
/// admin right) is 403 `forbidden`; with no admin key configured every admin endpoint is 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let presented = presented_key(&parts.headers).inspect_err(|_| {
            count_failure(state, "malformed");
        })?;
        if is_admin(state, presented.as_deref()) {
            return Ok(Admin);
        }
        if state.config.auth.admin_key.is_none() {
            count_failure(state, "admin_disabled");
            return Err(AppError::new(
                ErrorCode::Forbidden,
                "admin endpoints are disabled: no admin key is configured (CHARTGATE_AUTH__ADMIN_KEY)",
            ));
        }
        let Some(key) = presented else {
            count_failure(state, "missing_admin_key");
            return Err(unauthorized(
                "this endpoint needs the admin key (Authorization: Bearer <admin key>)",
            ));
        };
        match keys::lookup(&state.store, key).await {
            Ok(Some(_)) => {
                count_failure(state, "not_admin");
                Err(AppError::new(
                    ErrorCode::Forbidden,
                    "this API key has no admin rights",
                ))
            }
            Ok(None) => {
                count_failure(state, "unknown_key");
                Err(unauthorized("unknown admin key"))
            }
            Err(e) => {
                count_failure(state, "lookup_error");
                tracing::error!(error = %e, "API key lookup failed");
                Err(AppError::new(ErrorCode::Internal, "internal error"))
            }
        }
    }
}

fn count_failure(state: &AppState, reason: &str) {
    state
        .metrics
        .auth_failures
        .with_label_values(&[reason])
        .inc();
}

/// Whether `presented` is the admin key (constant-time; false when none is configured).
pub fn is_admin(state: &AppState, presented: Option<&str>) -> bool {
    keys_match(state.config.auth.admin_key.as_ref(), presented)
}

/// Constant-time equality of the configured key and the presented one (their lengths aside).
fn keys_match(expected: Option<&crate::config::Secret>, presented: Option<&str>) -> bool {
    match (expected, presented) {
        (Some(admin), Some(p)) => bool::from(admin.expose().as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_admin_key_matches_only_itself_and_never_when_unset() {
        let admin = crate::config::Secret::new("a".repeat(40));
        assert!(keys_match(Some(&admin), Some(&"a".repeat(40))));
        assert!(!keys_match(Some(&admin), Some(&"a".repeat(39))));
        assert!(!keys_match(
            Some(&admin),
            Some(&format!("{}b", "a".repeat(39)))
        ));
        assert!(!keys_match(Some(&admin), None));
        assert!(!keys_match(None, Some("")));
    }

    #[test]
    fn keys_are_read_from_either_header() {
        assert_eq!(presented_key(&headers(&[])).unwrap(), None);
        let b = headers(&[("authorization", "Bearer cgk_a")]);
        assert_eq!(presented_key(&b).unwrap().as_deref(), Some("cgk_a"));
        let x = headers(&[("x-api-key", " cgk_a ")]);
        assert_eq!(presented_key(&x).unwrap().as_deref(), Some("cgk_a"));
        let same = headers(&[("authorization", "bearer cgk_a"), ("x-api-key", "cgk_a")]);
        assert_eq!(presented_key(&same).unwrap().as_deref(), Some("cgk_a"));
        for bad in [
            headers(&[("authorization", "Basic dTpw")]),
            headers(&[("authorization", "Bearer")]),
            headers(&[("authorization", "Bearer cgk_a"), ("x-api-key", "cgk_b")]),
        ] {
            assert_eq!(
                presented_key(&bad).unwrap_err().code,
                ErrorCode::Unauthorized
            );
        }
    }
}
