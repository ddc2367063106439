//! Logging: a `tracing` subscriber writing text or JSON lines to stderr, filtered by
//! `log.filter` (an `EnvFilter` directive). Installed once by `main`; tests install nothing.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Fails on an invalid filter (naming the key) or when a
/// subscriber is already installed.
pub fn init(cfg: &LogConfig) -> Result<(), String> {
    let filter = EnvFilter::try_new(&cfg.filter)
        .map_err(|e| format!("log.filter: invalid directive {:?}: {e}", cfg.filter))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let result = match cfg.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|e| format!("cannot install the log subscriber: {e}"))
}
