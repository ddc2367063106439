//! The front door of the real `chartgate serve` process: SIGTERM with an ask in flight and idle
//! and slow connections open (exit 0 within the deadline, the ask answered and its ledger row in
//! the SQLite file), a request still running at the deadline (closed, exit 0), and a slowloris
//! run of 2,000 slow sockets from 127.0.0.2 against a process limited to 1,024 descriptors while
//! 127.0.0.1 keeps being answered. Every wait is bounded; nothing asserts a duration.
#![allow(clippy::unwrap_used)]

use chartgate_mock_openai::{Behavior, MockConfig, MockServer};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_chartgate");
const LIMIT: Duration = Duration::from_secs(30);

/// Kills the child if the test fails before it exits on its own.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `chartgate serve` (through `sh -c 'ulimit -n N; exec …'` when `nofile` is set) with a
/// clean environment plus `env`; returns the process and its address.
fn start(env: &[(&str, String)], nofile: Option<u32>) -> (Proc, SocketAddr) {
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.args([
                "-c",
                &format!("ulimit -n {n} && exec \"$0\" \"$@\""),
                BIN,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ]);
            c
        }
        None => {
            let mut c = Command::new(BIN);
            c.args(["serve", "--bind", "127.0.0.1:0"]);
            c
        }
    };
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHARTGATE_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = Proc(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(LIMIT).expect("no listening line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    let addr = url.trim_start_matches("http://").parse().unwrap();
    (child, addr)
}

fn sigterm(p: &Proc) {
    let ok = Command::new("kill")
        .args(["-TERM", &p.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn wait_exit(p: &mut Proc, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = p.0.try_wait().unwrap() {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "chartgate did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    chartgate_server::llm::openai::install_crypto_provider();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn metrics(addr: SocketAddr) -> String {
    client(LIMIT)
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

async fn wait_metrics(addr: SocketAddr, pred: impl Fn(&str) -> bool) -> String {
    tokio::time::timeout(LIMIT, async {
        loop {
            let m = metrics(addr).await;
            if pred(&m) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("metrics condition not reached")
}

fn mock_with_latency(rt: &tokio::runtime::Runtime, latency_ms: u64) -> MockServer {
    rt.block_on(MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            default: Behavior {
                latency_ms,
                ..Behavior::default()
            },
            ..MockConfig::default()
        },
    ))
    .unwrap()
}

fn model_env(
    mock: &MockServer,
    db: &std::path::Path,
    shutdown_ms: u64,
) -> Vec<(&'static str, String)> {
    vec![
        ("CHARTGATE_PROVIDER", "openai".to_owned()),
        ("CHARTGATE_OPENAI_BASE_URL", mock.base_url()),
        ("CHARTGATE_DB", db.display().to_string()),
        ("CHARTGATE_ROUTING__FAST_PATH", "false".to_owned()),
        ("CHARTGATE_LLM__TIMEOUT_MS", "60000".to_owned()),
        (
            "CHARTGATE_SERVER__SHUTDOWN_TIMEOUT_MS",
            shutdown_ms.to_string(),
        ),
    ]
}

/// Reads until the server closes; true when nothing (or only a reset) came back.
fn closed_without_answer(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 1024];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

#[test]
fn sigterm_lets_the_ask_finish_closes_idle_and_slow_connections_and_keeps_the_ledger_row() {
    let rt = runtime();
    let mock = mock_with_latency(&rt, 1500);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chartgate.sqlite3");
    let (mut p, addr) = start(&model_env(&mock, &db, 8000), None);

    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        idle.push(s);
    }
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Le")
            .unwrap();
        slow.push(s);
    }
    let ask = rt.spawn(async move {
        let r = client(LIMIT)
            .post(format!("http://{addr}/ask"))
            .json(&json!({"query": "explain the RSI indicator", "user_id": "u-shutdown"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    });
    rt.block_on(wait_metrics(addr, |m| {
        sample(m, "chartgate_asks_in_flight") >= 1.0
    }));
    sigterm(&p);

    let (status, body) = rt.block_on(ask).unwrap();
    assert_eq!(status, 200, "{body}");
    let request_id = body["request_id"].as_str().unwrap().to_owned();
    // shutdown_timeout_ms, the drain's floor, and slack for a loaded machine.
    let exit = wait_exit(&mut p, Duration::from_secs(8 + 2 + 10));
    assert!(exit.success(), "{exit:?}");
    for s in idle.iter_mut().chain(slow.iter_mut()) {
        assert!(closed_without_answer(s));
    }

    let store = chartgate_server::store::Store::open(&db).unwrap();
    let rows = rt
        .block_on(chartgate_server::store::ledger::recent(&store, 10))
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.request_id == request_id)
        .expect("the ask's ledger row");
    assert_eq!(row.user_id.as_deref(), Some("u-shutdown"));
    // Without an API key the caller is anonymous, capped at the cheap tier.
    assert_eq!(row.model, "gpt-4o-mini");
}

#[test]
fn a_request_still_running_at_the_shutdown_deadline_is_closed_and_the_process_exits_0() {
    let rt = runtime();
    let mock = mock_with_latency(&rt, 30_000);
    let dir = tempfile::tempdir().unwrap();
    let (mut p, addr) = start(&model_env(&mock, &dir.path().join("db.sqlite3"), 500), None);
    let ask = rt.spawn(async move {
        client(LIMIT)
            .post(format!("http://{addr}/ask"))
            .json(&json!({"query": "explain the RSI indicator"}))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    rt.block_on(wait_metrics(addr, |m| {
        sample(m, "chartgate_asks_in_flight") >= 1.0
    }));
    sigterm(&p);
    // Well before the model's 30 s: the deadline (0.5 s) plus the drain's floor, and slack.
    let exit = wait_exit(&mut p, Duration::from_secs(15));
    assert!(exit.success(), "{exit:?}");
    let answer = rt.block_on(ask).unwrap();
    assert!(answer.is_err(), "the connection was closed: {answer:?}");
}

#[test]
fn slowloris_from_one_address_does_not_starve_other_clients() {
    const SLOW: usize = 2000;
    let rt = runtime();
    let (mut p, addr) = start(
        &[("CHARTGATE_SERVER__HEADER_TIMEOUT_MS", "3000".to_owned())],
        Some(1024),
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", p.0.id())).unwrap();
    let nofile = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    assert!(nofile.contains(" 1024 "), "{nofile}");

    rt.block_on(async move {
        // 2,000 sockets from 127.0.0.2, each with a partial head, 200 connecting at a time.
        let mut slow = Vec::with_capacity(SLOW);
        for _ in 0..SLOW / 200 {
            let batch = (0..200).map(|_| async move {
                let s = tokio::net::TcpSocket::new_v4().unwrap();
                s.bind(SocketAddr::from(([127, 0, 0, 2], 0))).unwrap();
                let mut c = tokio::time::timeout(LIMIT, s.connect(addr))
                    .await
                    .unwrap()
                    .unwrap();
                let _ = tokio::io::AsyncWriteExt::write_all(
                    &mut c,
                    b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                )
                .await;
                c
            });
            let mut done = Vec::new();
            for f in batch {
                done.push(tokio::spawn(f));
            }
            for d in done {
                slow.push(d.await.unwrap());
            }
        }
        assert_eq!(slow.len(), SLOW);

        // Meanwhile 127.0.0.1 is answered: health and asks, each within a few seconds.
        let http = client(Duration::from_secs(5));
        for i in 0..5 {
            let h = http
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .unwrap();
            assert_eq!(h.status(), 200);
            let a = http
                .post(format!("http://{addr}/ask"))
                .json(&json!({"query": format!("show TSLA {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(a.status(), 200);
        }

        // Every slow socket was either refused over the per-address cap at once or closed at
        // the header timeout.
        let m = wait_metrics(addr, |m| {
            sample(
                m,
                "http_connections_refused_total{reason=\"per_address_cap\"}",
            ) + sample(
                m,
                "http_connections_refused_total{reason=\"header_timeout\"}",
            ) >= SLOW as f64
        })
        .await;
        let refused = sample(
            m.as_str(),
            "http_connections_refused_total{reason=\"per_address_cap\"}",
        );
        let timed_out = sample(
            m.as_str(),
            "http_connections_refused_total{reason=\"header_timeout\"}",
        );
        eprintln!("slowloris: {refused} refused at once, {timed_out} closed at the header timeout");
        assert_eq!(refused + timed_out, SLOW as f64, "{m}");
        assert!(refused >= 1000.0, "most were refused at once: {refused}");
        assert!(
            timed_out >= 64.0,
            "the admitted ones timed out: {timed_out}"
        );
        drop(slow);
        let h = http
            .get(format!("http://{addr}/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(h.status(), 200);
    });
    sigterm(&p);
    let exit = wait_exit(&mut p, LIMIT);
    assert!(exit.success(), "{exit:?}");
}
