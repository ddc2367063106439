//! A streaming load client for the harness (`tests/load/stream.sh`): opens `--streams` SSE
//! streams, at most `--concurrency` at once, each a POST of one JSON body to one URL, reads every
//! body with `Response::chunk()` and prints one machine-readable line:
//!
//! ```text
//! RESULT streams=N ok=N errors=N ttfb_p50_ms=… ttfb_p99_ms=… gap_p50_us=… gap_p99_us=…
//!        cmd_p50_ms=… cmd_p99_ms=… end_p50_ms=… content_min=… content_max=… wall_s=…
//! ```
//!
//! It understands both sides of the gateway: chartgate's events (`{"type":"content"}`,
//! `chart_command`, `done`, `error`, docs/streaming.md) and OpenAI chunks (content-bearing when
//! `choices[0].delta.content` is non-empty; the end is `data: [DONE]`).
//!
//! Method, per stream:
//! - `t0` is taken just before the request is sent; every event is stamped with the time its
//!   chunk came out of `Response::chunk()` (events that arrive in one read share one stamp, so
//!   a gap of 0 means two events were coalesced on the way).
//! - ttfb: `t0` to the first content-bearing event (not the first byte of the body: chartgate
//!   writes `metadata` before the model says anything, and the mock's first chunk is an empty
//!   role delta).
//! - gap: the time between one content-bearing event and the next, for every such pair.
//! - cmd: `t0` to the first `chart_command` event (streams without one contribute no sample).
//! - end: `t0` to `done` / `[DONE]` (`error` ends the stream and counts it as an error).
//! - A stream is ok when the answer is 200 and it ends with `done` or `[DONE]` within
//!   `--timeout-ms`; anything else (connect error, other status, `error` event, body ending early,
//!   timeout) counts in `errors`. `content_min` / `content_max` are the fewest and most
//!   content-bearing events in one ok stream (equal when every stream delivered everything).
//! - peak_open: the most streams that had their 200 answer and had not ended yet at one time
//!   (shows that `--concurrency` streams really were open at once).
//!
//! Percentiles are nearest-rank over all samples of all streams (the value at rank
//! ⌈p/100·n⌉ of the sorted samples), `-` when there is none. The client runs on a single-threaded
//! Tokio runtime so it takes at most one core from the processes it measures.
//!
//! ```sh
//! cargo run --release -p chartgate-server --example sse_load -- \
//!     --url http://127.0.0.1:PORT/api/agent/stream --body ask.json --streams 200 --concurrency 10
//! ```

use clap::Parser;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "sse_load", about = "SSE load client for chartgate's harness")]
struct Args {
    /// URL to POST to (chartgate's /api/agent/stream, the floor, or the mock's chat completions).
    #[arg(long)]
    url: String,
    /// File holding the JSON request body.
    #[arg(long)]
    body: std::path::PathBuf,
    /// Streams to open in all.
    #[arg(long, default_value_t = 100)]
    streams: usize,
    /// Streams open at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Give up on one stream after this long (counted as an error).
    #[arg(long, default_value_t = 60_000)]
    timeout_ms: u64,
}

/// The fields of one event this client looks at (chartgate's or OpenAI's).
#[derive(Deserialize)]
struct EventView {
    #[serde(rename = "type")]
    kind: Option<String>,
    choices: Option<Vec<ChoiceView>>,
}

#[derive(Deserialize)]
struct ChoiceView {
    delta: Option<DeltaView>,
}

#[derive(Deserialize)]
struct DeltaView {
    content: Option<String>,
}

enum Kind {
    Content,
    Command,
    Done,
    Error,
    Other,
}

fn classify(data: &str) -> Kind {
    if data == "[DONE]" {
        return Kind::Done;
    }
    let Ok(ev) = serde_json::from_str::<EventView>(data) else {
        return Kind::Other;
    };
    match ev.kind.as_deref() {
        Some("content") => return Kind::Content,
        Some("chart_command") => return Kind::Command,
        Some("done") => return Kind::Done,
        Some("error") => return Kind::Error,
        _ => {}
    }
    let has_text = ev
        .choices
        .as_ref()
        .and_then(|c| c.first())
        .and_then(|c| c.delta.as_ref())
        .and_then(|d| d.content.as_deref())
        .is_some_and(|s| !s.is_empty());
    if has_text {
        Kind::Content
    } else {
        Kind::Other
    }
}

/// What one stream measured.
#[derive(Default)]
struct StreamSample {
    ok: bool,
    ttfb: Option<Duration>,
    gaps: Vec<Duration>,
    first_command: Option<Duration>,
    end: Option<Duration>,
    contents: usize,
}

/// Splits complete SSE messages (blank-line separated) off the front of `buf` and feeds each
/// message's `data:` payload to `on_data`; returns false once `on_data` says the stream ended.
fn drain_messages(buf: &mut Vec<u8>, mut on_data: impl FnMut(&str) -> bool) -> bool {
    let mut start = 0;
    let mut going = true;
    while going {
        let Some(pos) = find_blank_line(&buf[start..]) else {
            break;
        };
        let msg = &buf[start..start + pos.0];
        start += pos.0 + pos.1;
        let text = String::from_utf8_lossy(msg);
        let data: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if !data.is_empty() {
            going = on_data(&data.join("\n"));
        }
    }
    buf.drain(..start);
    going
}

/// The offset of the first blank line (`\n\n` or `\r\n\r\n`) and its length.
fn find_blank_line(b: &[u8]) -> Option<(usize, usize)> {
    let lf = b.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(c)) => Some(if c.0 < a.0 { c } else { a }),
        (a, c) => a.or(c),
    }
}

/// Streams open now and the most seen at once.
#[derive(Default)]
struct OpenCount {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// Decrements the open count when the stream ends, however it ends.
struct OpenGuard<'a>(&'a OpenCount);

impl<'a> OpenGuard<'a> {
    fn enter(c: &'a OpenCount) -> OpenGuard<'a> {
        let n = c.now.fetch_add(1, Ordering::Relaxed) + 1;
        c.peak.fetch_max(n, Ordering::Relaxed);
        OpenGuard(c)
    }
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn run_stream(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    open: &OpenCount,
) -> StreamSample {
    let mut s = StreamSample::default();
    let t0 = Instant::now();
    let Ok(mut resp) = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.to_vec())
        .send()
        .await
    else {
        return s;
    };
    if !resp.status().is_success() {
        return s;
    }
    let _open = OpenGuard::enter(open);
    let mut buf = Vec::with_capacity(4096);
    let mut last_content: Option<Instant> = None;
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) => return s,
        };
        let now = Instant::now();
        buf.extend_from_slice(&chunk);
        let going = drain_messages(&mut buf, |data| match classify(data) {
            Kind::Content => {
                s.contents += 1;
                match last_content {
                    None => s.ttfb = Some(now - t0),
                    Some(prev) => s.gaps.push(now - prev),
                }
                last_content = Some(now);
                true
            }
            Kind::Command => {
                s.first_command.get_or_insert(now - t0);
                true
            }
            Kind::Done => {
                s.ok = true;
                s.end = Some(now - t0);
                false
            }
            Kind::Error => false,
            Kind::Other => true,
        });
        if !going {
            return s;
        }
    }
}

/// Nearest-rank percentile `p` (0–100] of sorted `v`.
fn percentile(v: &[Duration], p: f64) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let rank = ((p / 100.0) * n).ceil().max(1.0) as usize;
    v.get(rank.min(v.len()) - 1).copied()
}

fn fmt(d: Option<Duration>, scale: f64, places: usize) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.*}", places, d.as_secs_f64() * scale),
    )
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let body = std::fs::read(&args.body).map_err(|e| format!("{}: {e}", args.body.display()))?;
    chartgate_server::llm::openai::install_crypto_provider();
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let streams = args.streams;
    let timeout = Duration::from_millis(args.timeout_ms);
    let url: Arc<str> = args.url.into();
    let body: Arc<[u8]> = body.into();
    let next = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(OpenCount::default());
    let open_out = open.clone();
    let started = Instant::now();
    let samples: Vec<StreamSample> = rt.block_on(async move {
        let mut workers = Vec::new();
        for _ in 0..args.concurrency.clamp(1, streams.max(1)) {
            let (client, url, body, next, open) = (
                client.clone(),
                url.clone(),
                body.clone(),
                next.clone(),
                open.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < streams {
                    let s = tokio::time::timeout(timeout, run_stream(&client, &url, &body, &open))
                        .await
                        .unwrap_or_default();
                    mine.push(s);
                }
                mine
            }));
        }
        let mut all = Vec::with_capacity(streams);
        for w in workers {
            all.extend(w.await.unwrap_or_default());
        }
        all
    });
    let wall = started.elapsed();

    let ok: Vec<&StreamSample> = samples.iter().filter(|s| s.ok).collect();
    let mut ttfb: Vec<Duration> = ok.iter().filter_map(|s| s.ttfb).collect();
    let mut gaps: Vec<Duration> = ok.iter().flat_map(|s| s.gaps.iter().copied()).collect();
    let mut cmd: Vec<Duration> = ok.iter().filter_map(|s| s.first_command).collect();
    let mut end: Vec<Duration> = ok.iter().filter_map(|s| s.end).collect();
    for v in [&mut ttfb, &mut gaps, &mut cmd, &mut end] {
        v.sort_unstable();
    }
    let contents = ok.iter().map(|s| s.contents);
    let (cmin, cmax) = (
        contents.clone().min().unwrap_or(0),
        contents.max().unwrap_or(0),
    );
    println!(
        "RESULT streams={} ok={} errors={} ttfb_p50_ms={} ttfb_p99_ms={} gap_p50_us={} gap_p99_us={} \
         gaps={} cmd_p50_ms={} cmd_p99_ms={} cmds={} end_p50_ms={} end_p99_ms={} content_min={cmin} content_max={cmax} peak_open={} wall_s={:.3}",
        samples.len(),
        ok.len(),
        samples.len() - ok.len(),
        fmt(percentile(&ttfb, 50.0), 1e3, 3),
        fmt(percentile(&ttfb, 99.0), 1e3, 3),
        fmt(percentile(&gaps, 50.0), 1e6, 1),
        fmt(percentile(&gaps, 99.0), 1e6, 1),
        gaps.len(),
        fmt(percentile(&cmd, 50.0), 1e3, 3),
        fmt(percentile(&cmd, 99.0), 1e3, 3),
        cmd.len(),
        fmt(percentile(&end, 50.0), 1e3, 3),
        fmt(percentile(&end, 99.0), 1e3, 3),
        open_out.peak.load(Ordering::Relaxed),
        wall.as_secs_f64(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_the_sample_at_the_ceiling_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&v, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&v[..3], 99.0), Some(Duration::from_millis(3)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn messages_split_across_reads_are_parsed_once_complete() {
        let mut buf = b"id: 1\ndata: {\"type\":\"content\",\"text\":\"a\"}\n\nid: 2\nda".to_vec();
        let mut seen = Vec::new();
        assert!(drain_messages(&mut buf, |d| {
            seen.push(d.to_owned());
            true
        }));
        assert_eq!(seen, vec![r#"{"type":"content","text":"a"}"#]);
        assert_eq!(buf, b"id: 2\nda");
    }

    #[test]
    fn both_protocols_are_classified() {
        assert!(matches!(classify("[DONE]"), Kind::Done));
        assert!(matches!(
            classify(r#"{"type":"chart_command","command":"LOAD:TSLA"}"#),
            Kind::Command
        ));
        assert!(matches!(
            classify(r#"{"choices":[{"delta":{"content":"hi"}}]}"#),
            Kind::Content
        ));
        assert!(matches!(
            classify(r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#),
            Kind::Other
        ));
        assert!(matches!(classify(r#"{"type":"error"}"#), Kind::Error));
    }
}
