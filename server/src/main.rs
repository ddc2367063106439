//! The `chartgate` binary: thin. The command line lives in `cli`; `serve` is the service's
//! startup sequence: config → telemetry → state → listener → serve with graceful shutdown.

mod cli;

use chartgate_server::config::{env_snapshot, Config};
use chartgate_server::{telemetry, AppState};
use std::process::ExitCode;

/// mimalloc instead of glibc malloc: allocation was ~7% of the gateway's CPU per model-path
/// request under load (perf, docs/TELEMETRY_BASELINE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run()
}

/// `chartgate serve`: exit code 2 for configuration errors, 1 for runtime failures.
fn serve(args: cli::ServeArgs) -> ExitCode {
    let mut config = match Config::load(args.config.as_deref(), &env_snapshot()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chartgate serve: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(bind) = args.bind {
        match bind.parse() {
            Ok(addr) => config.server.bind = addr,
            Err(_) => {
                eprintln!("chartgate serve: --bind: expected an address like 127.0.0.1:8080, got {bind:?}");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(e) = telemetry::init(&config.log) {
        eprintln!("chartgate serve: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chartgate serve: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "chartgate serve failed");
            eprintln!("chartgate serve: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let bind = config.server.bind;
    let provider = config.llm.provider.as_str();
    let store = config.store.path.display().to_string();
    let state = AppState::new(config).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, provider, %store, "listening on {addr}");
    println!("chartgate listening on http://{addr} (provider {provider})");
    chartgate_server::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
