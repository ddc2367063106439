//! The command line: `serve` (the HTTP service, handed to `main::serve`), `keys` (API keys in
//! the store) and the tools over core (spec §8): `normalize`, `understand`, `schema`.
//!
//! The tools print exactly what the wasm package returns for the same input (compact JSON, one
//! line). Exit code 0 whenever a result is printed (issues included); 2 for unreadable input.

use chartgate_core::{
    chart_command_schema, normalize_chart_command_payload, understand, NormalizeFlags,
};
use clap::{Parser, Subcommand};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest payload `normalize` reads from stdin.
const MAX_STDIN: u64 = 8 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "chartgate",
    version,
    about = "chartgate: chart commands for the AI market-chart assistant"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Normalize a chart-command payload: JSON on stdin, normalized JSON on stdout.
    Normalize {
        /// Structured-first mode (PREFER_STRUCTURED_CHART_COMMANDS).
        #[arg(long)]
        prefer_structured: bool,
        /// Take commands from chart_objects when valid (ENABLE_STRUCTURED_CHART_OBJECTS).
        #[arg(long)]
        structured_objects: bool,
        /// The assistant's response text, when the payload has none.
        #[arg(long)]
        response_text: Option<String>,
    },
    /// Understand a plain-text request: intent and chart commands as JSON.
    Understand {
        /// The request, e.g. "show me Tesla on the weekly with the 50-day".
        text: String,
    },
    /// Print the JSON Schema of the chart command list (the model's strict tool schema).
    Schema,
    /// Run the HTTP service (defaults: 127.0.0.1:8080, ./data/chartgate.sqlite3, offline provider).
    Serve(ServeArgs),
    /// Manage API keys in the store (`store.path` of the config; `CHARTGATE_DB` overrides).
    Keys {
        /// TOML config file (else `CHARTGATE_CONFIG`, else embedded defaults).
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        cmd: KeysCmd,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create a key; prints it once on stdout (only its SHA-256 is stored).
    Create {
        /// The user id the key stands for.
        #[arg(long)]
        user: String,
        /// `standard` or `premium`.
        #[arg(long)]
        tier: String,
        /// A note for `keys list` (where the key is used).
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (id, user, tier, label, created, last use, revoked); never the keys themselves.
    List,
    /// Revoke a key by its id (`key_…`, from `keys list`).
    Revoke { id: String },
}

/// Options of `chartgate serve`; everything else comes from the config file and `CHARTGATE_*`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// TOML config file (else `CHARTGATE_CONFIG`, else embedded defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080 (overrides the file and `CHARTGATE_BIND`).
    #[arg(long)]
    pub bind: Option<String>,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let out = match cli.command {
        Cmd::Normalize {
            prefer_structured,
            structured_objects,
            response_text,
        } => {
            let input = match read_stdin() {
                Ok(v) => v,
                Err(msg) => {
                    eprintln!("chartgate normalize: {msg}");
                    return ExitCode::from(2);
                }
            };
            let flags = NormalizeFlags {
                prefer_structured,
                structured_objects,
            };
            to_json(&normalize_chart_command_payload(
                &input,
                response_text.as_deref(),
                flags,
            ))
        }
        Cmd::Understand { text } => to_json(&understand(&text)),
        Cmd::Schema => to_json(&chart_command_schema()),
        Cmd::Serve(args) => return crate::serve(args),
        Cmd::Keys { config, cmd } => return keys(config.as_deref(), cmd),
    };
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{out}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chartgate: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// `chartgate keys …`: exit code 2 for configuration or argument errors, 1 for store failures.
fn keys(config: Option<&std::path::Path>, cmd: KeysCmd) -> ExitCode {
    use chartgate_server::store::{keys as k, Store};
    let config = match chartgate_server::config::Config::load(
        config,
        &chartgate_server::config::env_snapshot(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chartgate keys: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let conn = match Store::open(&config.store.path).and_then(|s| s.connect()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chartgate keys: {e}");
            return ExitCode::from(1);
        }
    };
    let result = match cmd {
        KeysCmd::Create { user, tier, label } => {
            let tier = match k::parse_key_tier(&tier) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("chartgate keys create: --tier: {e}");
                    return ExitCode::from(2);
                }
            };
            match k::create(&conn, &user, tier, label.as_deref()) {
                Ok(created) => {
                    println!("{}", created.secret.expose());
                    eprintln!(
                        "created {} for user {} ({}); the key above is shown only now",
                        created.id,
                        user.trim(),
                        tier.as_str()
                    );
                    Ok(())
                }
                Err(e @ k::KeyError::UserId) => {
                    eprintln!("chartgate keys create: --user: {e}");
                    return ExitCode::from(2);
                }
                Err(e) => Err(e),
            }
        }
        KeysCmd::List => k::list(&conn).map(|keys| {
            println!("id\tuser\ttier\tlabel\tcreated\tlast_used\trevoked");
            for key in keys {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    key.id,
                    key.user_id,
                    key.tier.as_str(),
                    key.label.unwrap_or_default(),
                    key.created_at,
                    key.last_used_at.unwrap_or_else(|| "-".into()),
                    key.revoked_at.unwrap_or_else(|| "-".into()),
                );
            }
        }),
        KeysCmd::Revoke { id } => k::revoke(&conn, &id).map(|()| println!("revoked {id}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ k::KeyError::NotFound(_)) => {
            eprintln!("chartgate keys: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("chartgate keys: {e}");
            ExitCode::from(1)
        }
    }
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    // Serializing our own types to a String cannot fail: no maps with non-string keys, no I/O.
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Reads the payload: empty input is `null`; otherwise it must be UTF-8 JSON of at most 8 MiB.
fn read_stdin() -> Result<serde_json::Value, String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    if buf.len() as u64 > MAX_STDIN {
        return Err(format!("input exceeds {MAX_STDIN} bytes"));
    }
    let text = std::str::from_utf8(&buf).map_err(|e| format!("input is not UTF-8: {e}"))?;
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(text).map_err(|e| format!("input is not JSON: {e}"))
}
