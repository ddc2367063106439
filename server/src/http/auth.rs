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
        let Some(key) = presented_key(&parts.headers)? else {
            if state.config.auth.allow_anonymous {
                return Ok(Caller::Anonymous);
            }
            return Err(unauthorized(
                "an API key is required (Authorization: Bearer <key> or X-API-Key)",
            ));
        };
        match keys::lookup(&state.store, key).await {
            Ok(Some(owner)) => Ok(Caller::Key(owner)),
            Ok(None) => Err(unauthorized("unknown or revoked API key")),
            Err(e) => {
                tracing::error!(error = %e, "API key lookup failed");
                Err(AppError::new(ErrorCode::Internal, "internal error"))
            }
        }
    }
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
