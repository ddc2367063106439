//! `chartgate keys create|list|revoke` on a real SQLite file: the key is printed once and
//! found by the library's lookup, `list` never shows it, a revoked key is no longer found, and
//! bad arguments exit 2.
#![allow(clippy::unwrap_used)]

use chartgate_server::routing::UserTier;
use chartgate_server::store::{keys, Store};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_chartgate");

fn run(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("keys")
        .args(args)
        .env_clear()
        .env("CHARTGATE_DB", db)
        .output()
        .unwrap()
}

#[test]
fn keys_are_created_once_listed_without_the_secret_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/chartgate.sqlite3");
    let out = run(
        &db,
        &[
            "create", "--user", "alice", "--tier", "premium", "--label", "ci",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with(keys::KEY_PREFIX), "{secret}");
    let note = String::from_utf8(out.stderr).unwrap();
    assert!(note.contains("shown only now"), "{note}");

    let conn = Store::open(&db).unwrap().connect().unwrap();
    let owner = keys::lookup_blocking(&conn, &secret).unwrap().unwrap();
    assert_eq!(owner.user_id, "alice");
    assert_eq!(owner.tier, UserTier::Premium);

    let list = run(&db, &["list"]);
    assert!(list.status.success());
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains(&owner.key_id), "{text}");
    assert!(text.contains("alice\tpremium\tci\t"), "{text}");
    assert!(!text.contains(&secret), "the key itself is never listed");
    assert!(!text.contains(&secret[keys::KEY_PREFIX.len()..]));

    let revoke = run(&db, &["revoke", &owner.key_id]);
    assert!(revoke.status.success());
    assert_eq!(keys::lookup_blocking(&conn, &secret).unwrap(), None);
    let text = String::from_utf8(run(&db, &["list"]).stdout).unwrap();
    let row = text.lines().find(|l| l.starts_with(&owner.key_id)).unwrap();
    assert!(!row.ends_with("\t-"), "revocation time shown: {row}");
}

#[test]
fn bad_arguments_exit_2_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.sqlite3");
    for args in [
        &["create", "--user", "bob", "--tier", "anonymous"][..],
        &["create", "--user", "bob", "--tier", "gold"][..],
        &["create", "--user", " ", "--tier", "standard"][..],
        &["revoke", "key_does_not_exist"][..],
    ] {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let conn = Store::open(&db).unwrap().connect().unwrap();
    assert!(keys::list(&conn).unwrap().is_empty());
}
