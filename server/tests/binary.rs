//! The real `chartgate` binary: `chartgate serve` with no config, no key and a clean environment
//! starts with embedded defaults (SQLite under ./data, offline provider), serves, and exits 0 on
//! SIGTERM after finishing. Only `--bind 127.0.0.1:0` differs from the README's command, so the
//! test never needs a fixed port. The CLI tools still work beside `serve`.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_chartgate");

/// Kills the child if the test fails before it exits on its own.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chartgate did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_starts_with_defaults_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut guard = KillOnDrop(
        Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(l) => l,
        Err(e) => {
            let _ = child.kill();
            panic!("no listening line: {e}");
        }
    };
    assert!(line.contains("provider offline"), "{line}");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    chartgate_server::llm::openai::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let health: serde_json::Value = rt.block_on(async {
        let c = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        c.get(format!("{url}/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(health["provider"], "offline");
    assert!(
        dir.path().join("data/chartgate.sqlite3").exists(),
        "./data is created"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_exit(child, Duration::from_secs(30));
    assert!(exit.success(), "exit status {exit:?}");
}

#[test]
fn serve_refuses_an_unknown_config_key_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[server]\nbnd = \"127.0.0.1:0\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", cfg.to_str().unwrap()])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.bnd"), "{err}");
}

#[test]
fn the_cli_tools_still_work() {
    let out = Command::new(BIN)
        .args(["understand", "show TSLA"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("intent").is_some());
    let out = Command::new(BIN).arg("schema").output().unwrap();
    assert!(out.status.success());
}
