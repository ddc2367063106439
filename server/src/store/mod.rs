//! SQLite storage: opening the database file (WAL mode), migrations, readiness, and the blocking
//! bridge that keeps SQLite off the async worker threads.
//!
//! Invariant: no `rusqlite::Connection` (or a lock guarding one) is ever held across an `.await`.
//! Reads go through `spawn_blocking`; ledger writes go through one dedicated writer thread
//! ([`ledger::LedgerWriter`]) that batches rows into transactions.

pub mod keys;
pub mod ledger;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory for {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the storage task failed: {0}")]
    Task(String),
}

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
/// Never edit a shipped migration: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the cost ledger (one row per upstream model call that returned usage).
    "CREATE TABLE ledger (
        id                INTEGER PRIMARY KEY,
        request_id        TEXT    NOT NULL,
        user_id           TEXT,
        session_id        TEXT,
        model             TEXT    NOT NULL,
        intent            TEXT    NOT NULL,
        tier              TEXT    NOT NULL,
        prompt_tokens     INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cached_tokens     INTEGER NOT NULL,
        cost_usd          REAL    NOT NULL,
        created_at        TEXT    NOT NULL,
        created_at_ms     INTEGER NOT NULL
    );
    CREATE INDEX ledger_by_user_time ON ledger (user_id, created_at_ms);
    CREATE INDEX ledger_by_time ON ledger (created_at_ms);",
    // 2: API keys, stored only as the SHA-256 of the key (store/keys.rs).
    "CREATE TABLE api_keys (
        id           TEXT PRIMARY KEY,
        hash         BLOB NOT NULL UNIQUE,
        user_id      TEXT NOT NULL,
        tier         TEXT NOT NULL CHECK (tier IN ('standard', 'premium')),
        label        TEXT,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
    );
    CREATE INDEX api_keys_by_user ON api_keys (user_id);",
    // 3: answers served from the prompt cache: a row with `cached = 1`, no tokens, no cost, and
    // the cost the hit saved.
    "ALTER TABLE ledger ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE ledger ADD COLUMN saved_usd REAL NOT NULL DEFAULT 0;",
    // 4: budgets and alerts (budget/, alerts/): who paid (the principal, `user:<id>` or
    // `addr:<ip>`, and its tier) and the alert delivery log (one row per attempt).
    "ALTER TABLE ledger ADD COLUMN principal TEXT;
    ALTER TABLE ledger ADD COLUMN user_tier TEXT;
    CREATE INDEX ledger_by_principal_time ON ledger (principal, created_at_ms);
    CREATE TABLE alert_deliveries (
        id           INTEGER PRIMARY KEY,
        alert_id     TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        attempt      INTEGER NOT NULL,
        outcome      TEXT    NOT NULL,
        status       INTEGER,
        error        TEXT,
        body         TEXT    NOT NULL,
        created_at   TEXT    NOT NULL
    );
    CREATE INDEX alert_deliveries_by_alert ON alert_deliveries (alert_id, attempt);",
];

/// The schema version this build migrates to.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Opens a connection with the pragmas every connection needs.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // journal_mode returns a row; query it rather than execute.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "SQLite did not switch to WAL mode");
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

/// Applies pending migrations in one transaction.
fn migrate(conn: &mut Connection) -> Result<usize, StoreError> {
    let current: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(0);
    if current >= MIGRATIONS.len() {
        return Ok(current);
    }
    let tx = conn.transaction()?;
    for sql in &MIGRATIONS[current..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    Ok(MIGRATIONS.len())
}

/// The store: the database path and one read connection used from blocking tasks.
#[derive(Clone, Debug)]
pub struct Store {
    path: PathBuf,
    reader: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating the file and its directory if needed) and migrates the database.
    /// Blocking: call it from `spawn_blocking` or before the runtime serves requests.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.display().to_string(),
                source,
            })?;
        }
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        Ok(Store {
            path: path.to_path_buf(),
            reader: Arc::new(Mutex::new(conn)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens another connection to the same database (for the ledger writer thread).
    pub fn connect(&self) -> Result<Connection, StoreError> {
        connect(&self.path)
    }

    /// Runs `f` with the read connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&conn).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Readiness: the database answers a query and its schema is current.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let version: i64 = self
            .read(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .await?;
        if usize::try_from(version).unwrap_or(0) < SCHEMA_VERSION {
            return Err(StoreError::Task(format!(
                "schema version {version}, expected {SCHEMA_VERSION}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn open_creates_the_directory_runs_migrations_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/data/chartgate.sqlite3");
        let store = Store::open(&path).unwrap();
        assert!(path.exists());
        store.ping().await.unwrap();
        let mode: String = store
            .read(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(mode.to_ascii_lowercase(), "wal");
        // Opening again is idempotent.
        drop(store);
        let again = Store::open(&path).unwrap();
        again.ping().await.unwrap();
        let tables: i64 = again
            .read(|c| {
                c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ledger'",
                    [],
                    |r| r.get(0),
                )
            })
            .await
            .unwrap();
        assert_eq!(tables, 1);
    }

    #[test]
    fn open_fails_cleanly_when_the_directory_cannot_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = Store::open(&file.join("db.sqlite3")).unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
    }
}
