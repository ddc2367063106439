//! API keys in SQLite (`api_keys`, migration 2): created, listed, revoked, looked up.
//!
//! A key is `cgk_` + 64 hex digits (256 random bits from the operating system through `ring`).
//! It is shown once, when created; the table keeps only its SHA-256, the user id and tier it
//! stands for, a label, the creation time, the last use and the revocation time. Lookups hash
//! the presented key and find the row by its hash (an indexed equality on a digest of a
//! high-entropy secret, so timing reveals nothing useful about any stored key). This module
//! never logs a key, a hash or a user id.

use super::{Store, StoreError};
use crate::routing::UserTier;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{params, Connection, OptionalExtension};
use std::time::SystemTime;

/// The prefix of every key (so a leaked one is recognisable in a scanner).
pub const KEY_PREFIX: &str = "cgk_";

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the operating system's random source failed")]
    Random,
    #[error("a key's tier is standard or premium, got {0:?}")]
    Tier(String),
    #[error("user id must be 1-128 characters without control characters")]
    UserId,
    #[error("no key with id {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for KeyError {
    fn from(e: rusqlite::Error) -> KeyError {
        KeyError::Store(StoreError::Sqlite(e))
    }
}

/// A newly created key: `secret` is the only copy of the key itself.
#[derive(Debug)]
pub struct CreatedKey {
    pub id: String,
    pub secret: crate::config::Secret,
}

/// A key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub id: String,
    pub user_id: String,
    pub tier: UserTier,
    pub label: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Whom a valid key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: String,
    pub user_id: String,
    pub tier: UserTier,
}

/// Parses a key tier: only `standard` and `premium` (an anonymous key makes no sense).
pub fn parse_key_tier(s: &str) -> Result<UserTier, KeyError> {
    match s {
        "standard" => Ok(UserTier::Standard),
        "premium" => Ok(UserTier::Premium),
        other => Err(KeyError::Tier(other.to_owned())),
    }
}

fn hash(secret: &str) -> Vec<u8> {
    digest(&SHA256, secret.as_bytes()).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(rng: &SystemRandom, n: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; n];
    rng.fill(&mut buf).map_err(|_| KeyError::Random)?;
    Ok(hex(&buf))
}

/// Creates a key for `user_id` at `tier` (blocking: the CLI calls it on a plain connection).
pub fn create(
    conn: &Connection,
    user_id: &str,
    tier: UserTier,
    label: Option<&str>,
) -> Result<CreatedKey, KeyError> {
    let user_id = user_id.trim();
    if user_id.is_empty() || user_id.chars().count() > 128 || user_id.chars().any(char::is_control)
    {
        return Err(KeyError::UserId);
    }
    if tier == UserTier::Anonymous {
        return Err(KeyError::Tier("anonymous".into()));
    }
    let rng = SystemRandom::new();
    let secret = format!("{KEY_PREFIX}{}", random_hex(&rng, 32)?);
    let id = format!("key_{}", random_hex(&rng, 8)?);
    conn.execute(
        "INSERT INTO api_keys (id, hash, user_id, tier, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            hash(&secret),
            user_id,
            tier.as_str(),
            label,
            crate::clock::rfc3339(SystemTime::now())
        ],
    )?;
    Ok(CreatedKey {
        id,
        secret: crate::config::Secret::new(secret),
    })
}

fn tier_of(s: &str) -> UserTier {
    match s {
        "premium" => UserTier::Premium,
        "standard" => UserTier::Standard,
        // Only the two are ever written; anything else is not trusted with more.
        _ => UserTier::Anonymous,
    }
}

/// Every key, newest first.
pub fn list(conn: &Connection) -> Result<Vec<KeyInfo>, KeyError> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, tier, label, created_at, last_used_at, revoked_at
         FROM api_keys ORDER BY created_at DESC, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(KeyInfo {
            id: r.get(0)?,
            user_id: r.get(1)?,
            tier: tier_of(&r.get::<_, String>(2)?),
            label: r.get(3)?,
            created_at: r.get(4)?,
            last_used_at: r.get(5)?,
            revoked_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes key `id` (idempotent: revoking twice keeps the first time).
pub fn revoke(conn: &Connection, id: &str) -> Result<(), KeyError> {
    let n = conn.execute(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
        params![id, crate::clock::rfc3339(SystemTime::now())],
    )?;
    if n == 0 {
        return Err(KeyError::NotFound(id.to_owned()));
    }
    Ok(())
}

/// The owner of `secret` if it is a valid, unrevoked key; records its use.
pub fn lookup_blocking(conn: &Connection, secret: &str) -> Result<Option<KeyOwner>, KeyError> {
    Ok(find(conn, secret)?)
}

fn find(conn: &Connection, secret: &str) -> rusqlite::Result<Option<KeyOwner>> {
    if !secret.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let row = conn
        .query_row(
            "SELECT id, user_id, tier FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
            params![hash(secret)],
            |r| {
                Ok(KeyOwner {
                    key_id: r.get(0)?,
                    user_id: r.get(1)?,
                    tier: tier_of(&r.get::<_, String>(2)?),
                })
            },
        )
        .optional()?;
    if let Some(owner) = &row {
        conn.execute(
            "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
            params![owner.key_id, crate::clock::rfc3339(SystemTime::now())],
        )?;
    }
    Ok(row)
}

/// Recent key lookups in memory, so a keyed request does not wait on SQLite: each answer (owner,
/// or unknown/revoked) is kept for `ttl`, in at most `capacity` entries keyed by the key's SHA-256
/// (never the key). A revocation takes effect within `ttl`; `last_used_at` is written once per
/// `ttl` per key (on the lookup that refills the entry), never on the hot path.
#[derive(Clone)]
pub struct KeyCache(moka::sync::Cache<Vec<u8>, Option<KeyOwner>>);

impl KeyCache {
    /// A cache of `capacity` lookups, each kept `ttl` (a zero `ttl` turns it off).
    pub fn new(capacity: u64, ttl: std::time::Duration) -> KeyCache {
        KeyCache(
            moka::sync::Cache::builder()
                .max_capacity(if ttl.is_zero() { 0 } else { capacity })
                .time_to_live(ttl.max(std::time::Duration::from_millis(1)))
                .build(),
        )
    }
}

/// [`lookup`] through `cache`: a hit costs a hash and a map read.
pub async fn lookup_cached(
    cache: &KeyCache,
    store: &Store,
    secret: String,
) -> Result<Option<KeyOwner>, KeyError> {
    if !secret.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let h = hash(&secret);
    if let Some(hit) = cache.0.get(&h) {
        return Ok(hit);
    }
    let found = lookup(store, secret).await?;
    cache.0.insert(h, found.clone());
    Ok(found)
}

/// [`lookup_blocking`] on the store's blocking bridge.
pub async fn lookup(store: &Store, secret: String) -> Result<Option<KeyOwner>, KeyError> {
    Ok(store.read(move |c| find(c, &secret)).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn conn() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("k.sqlite3")).unwrap();
        let c = store.connect().unwrap();
        (dir, c)
    }

    #[test]
    fn a_created_key_is_found_once_stored_only_as_its_hash() {
        let (_d, c) = conn();
        let k = create(&c, "alice", UserTier::Premium, Some("laptop")).unwrap();
        let secret = k.secret.expose().to_owned();
        assert!(secret.starts_with(KEY_PREFIX) && secret.len() == KEY_PREFIX.len() + 64);
        let owner = lookup_blocking(&c, &secret).unwrap().unwrap();
        assert_eq!(owner.user_id, "alice");
        assert_eq!(owner.tier, UserTier::Premium);
        let stored: i64 = c
            .query_row(
                "SELECT count(*) FROM api_keys WHERE hash = ?1 OR CAST(hash AS TEXT) = ?2",
                params![hash(&secret), secret],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 1, "found by hash only");
        let listed = list(&c).unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert_eq!(listed[0].label.as_deref(), Some("laptop"));
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(&secret), "{dbg}");
    }

    #[test]
    fn unknown_altered_and_revoked_keys_are_not_found() {
        let (_d, c) = conn();
        let k = create(&c, "bob", UserTier::Standard, None).unwrap();
        let secret = k.secret.expose().to_owned();
        let mut altered = secret.clone();
        altered.pop();
        altered.push(if secret.ends_with('0') { '1' } else { '0' });
        assert_eq!(lookup_blocking(&c, &altered).unwrap(), None);
        assert_eq!(lookup_blocking(&c, "not-a-key").unwrap(), None);
        revoke(&c, &k.id).unwrap();
        assert_eq!(lookup_blocking(&c, &secret).unwrap(), None);
        revoke(&c, &k.id).unwrap();
        assert!(matches!(revoke(&c, "key_nope"), Err(KeyError::NotFound(_))));
        assert!(list(&c).unwrap()[0].revoked_at.is_some());
    }

    #[test]
    fn keys_have_a_real_tier_and_user() {
        let (_d, c) = conn();
        assert!(matches!(
            parse_key_tier("anonymous"),
            Err(KeyError::Tier(_))
        ));
        assert!(matches!(parse_key_tier("admin"), Err(KeyError::Tier(_))));
        assert_eq!(parse_key_tier("premium").unwrap(), UserTier::Premium);
        assert!(matches!(
            create(&c, " ", UserTier::Standard, None),
            Err(KeyError::UserId)
        ));
        let a = create(&c, "u", UserTier::Standard, None).unwrap();
        let b = create(&c, "u", UserTier::Standard, None).unwrap();
        assert_ne!(a.secret.expose(), b.secret.expose());
        assert_ne!(a.id, b.id);
    }
}
