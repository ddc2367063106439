//! `chartgate-mock-openai`: the mock as a process (for the load harness and manual testing).
//! Prints `mock listening on http://ADDR/v1` once bound; stops on SIGINT/SIGTERM.

use chartgate_mock_openai::{Behavior, MockConfig, MockServer};
use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "chartgate-mock-openai",
    version,
    about = "OpenAI-compatible mock server"
)]
struct Args {
    /// Listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: std::net::SocketAddr,
    /// Delay before each answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fraction of requests (0-1) answered with --error-status.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Status of injected errors.
    #[arg(long, default_value_t = 500)]
    error_status: u16,
    /// Answer with garbled bodies.
    #[arg(long)]
    garble: bool,
    /// Reply text.
    #[arg(long)]
    text: Option<String>,
    /// Arguments of a chart_commands tool call to return when the request offers tools.
    #[arg(long)]
    tool_arguments: Option<String>,
    /// Pause between streamed chunks, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_interval_ms: u64,
    /// Worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = args.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chartgate-mock-openai: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let default = Behavior {
        latency_ms: args.latency_ms,
        error_rate: args.error_rate,
        error_status: args.error_status,
        garble: args.garble,
        text: args.text.unwrap_or_else(|| Behavior::default().text),
        tool_arguments: args.tool_arguments,
        chunk_interval_ms: args.chunk_interval_ms,
        ..Behavior::default()
    };
    runtime.block_on(async move {
        let server = match MockServer::start(
            args.bind,
            MockConfig {
                default,
                ..MockConfig::default()
            },
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("chartgate-mock-openai: cannot listen on {}: {e}", args.bind);
                return ExitCode::from(1);
            }
        };
        println!("mock listening on {}", server.base_url());
        wait_for_signal().await;
        drop(server);
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
