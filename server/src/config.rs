//! Configuration: a TOML file plus `CHARTGATE_*` environment overrides, validated into [`Config`].
//!
//! This module is the only reader of the environment (callers hand it a snapshot, so tests never
//! mutate the process environment). Parsing goes raw (serde, `deny_unknown_fields`) → validated
//! [`Config`]; every error names the offending key path. Defaults live here and nowhere else
//! (`chartgate.example.toml` repeats them and a test keeps the two in step; `docs/config.md` lists
//! them too, kept by hand). Secrets come only from the environment and are wrapped in [`Secret`].

use crate::routing::{BreakerConfig, IntentTiers, LoadConfig, ModelTier, TierChains, UserTier};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Prefix of every environment variable this service reads (plus the two legacy flag names and
/// `OPENAI_API_KEY`).
pub const ENV_PREFIX: &str = "CHARTGATE_";

/// A secret value: `Debug` prints `[redacted]`, there is no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it (the provider's HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why the configuration could not be loaded. Every variant names the key path or the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    Read { path: String, message: String },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl ConfigError {
    fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The key path (or variable name) the error is about.
    pub fn key(&self) -> &str {
        match self {
            ConfigError::Read { path, .. } | ConfigError::Syntax { path, .. } => path,
            ConfigError::Invalid { key, .. } => key,
            ConfigError::Env { var, .. } => var,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw shape (what the TOML file and the env overrides may contain). Defaults are set here.
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    server: RawServer,
    store: RawStore,
    log: RawLog,
    llm: RawLlm,
    models: RawModels,
    prices: BTreeMap<String, RawPrice>,
    routing: RawRouting,
    flags: RawFlags,
    stream: crate::stream::RawStreamConfig,
    redis: crate::redis::RawRedisConfig,
    auth: RawAuth,
    budgets: crate::budget::RawBudgets,
    alerts: crate::alerts::RawAlerts,
    rate_limits: crate::ratelimit::RawRateLimits,
    cache: crate::cache::config::RawCacheConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAuth {
    anonymous: String,
    trusted_proxies: Vec<String>,
    key_cache_ttl_ms: u64,
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            anonymous: "allow".into(),
            trusted_proxies: Vec::new(),
            key_cache_ttl_ms: 10_000,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    bind: String,
    max_body_bytes: usize,
    max_query_chars: usize,
    max_history_messages: usize,
    max_history_content_chars: usize,
    max_id_chars: usize,
    max_uri_bytes: usize,
    max_header_bytes: usize,
    max_headers: usize,
    header_timeout_ms: u64,
    body_timeout_ms: u64,
    idle_timeout_ms: u64,
    write_timeout_ms: u64,
    max_connections: usize,
    max_connections_per_address: usize,
    shutdown_timeout_ms: u64,
    cors_origins: Vec<String>,
    cors_allow_credentials: bool,
    demo_dir: String,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            bind: "127.0.0.1:8080".into(),
            max_body_bytes: 256 * 1024,
            max_query_chars: 4000,
            max_history_messages: 50,
            max_history_content_chars: 8000,
            max_id_chars: 128,
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            write_timeout_ms: 30_000,
            max_connections: 512,
            max_connections_per_address: 64,
            shutdown_timeout_ms: 10_000,
            cors_origins: Vec::new(),
            cors_allow_credentials: false,
            demo_dir: String::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    path: String,
    ledger_queue: usize,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            path: "./data/chartgate.sqlite3".into(),
            ledger_queue: 10_000,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    format: String,
    filter: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLlm {
    provider: String,
    base_url: String,
    timeout_ms: u64,
    connect_timeout_ms: u64,
    max_completion_tokens: u32,
    temperature: Option<f32>,
    system_prompt: Option<String>,
    max_response_bytes: usize,
}

impl Default for RawLlm {
    fn default() -> Self {
        RawLlm {
            provider: "auto".into(),
            base_url: "https://api.openai.com/v1".into(),
            timeout_ms: 20_000,
            connect_timeout_ms: 2_000,
            max_completion_tokens: 800,
            temperature: None,
            system_prompt: None,
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

/// One tier's chain; each key left out keeps its default.
#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, default)]
struct RawChain {
    model: Option<String>,
    fallbacks: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawModels {
    cheap: RawChain,
    mid: RawChain,
    premium: RawChain,
}

/// The embedded model chains: (tier, primary, fallbacks).
const DEFAULT_CHAINS: [(&str, &str, &[&str]); 3] = [
    ("cheap", "gpt-4o-mini", &[]),
    ("mid", "gpt-4o", &["gpt-4o-mini"]),
    ("premium", "gpt-5", &["gpt-4o", "gpt-4o-mini"]),
];

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    input: f64,
    output: f64,
    cached_input: f64,
}

/// The embedded price table (USD per 1M tokens: input, output, cached input).
const DEFAULT_PRICES: [(&str, f64, f64, f64); 3] = [
    ("gpt-4o-mini", 0.15, 0.60, 0.075),
    ("gpt-4o", 2.50, 10.0, 1.25),
    ("gpt-5", 3.0, 12.0, 1.5),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRouting {
    fast_path: bool,
    intent_tiers: RawIntentTiers,
    user_tiers: RawUserTiers,
    load: RawLoad,
    breaker: RawBreaker,
}

impl Default for RawRouting {
    fn default() -> Self {
        RawRouting {
            fast_path: true,
            intent_tiers: RawIntentTiers::default(),
            user_tiers: RawUserTiers::default(),
            load: RawLoad::default(),
            breaker: RawBreaker::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIntentTiers {
    chart_command: ModelTier,
    price_only: ModelTier,
    technical_analysis: ModelTier,
    news_summary: ModelTier,
    market_overview: ModelTier,
    educational: ModelTier,
    general_query: ModelTier,
}

impl Default for RawIntentTiers {
    fn default() -> Self {
        let d = IntentTiers::default();
        RawIntentTiers {
            chart_command: d.chart_command,
            price_only: d.price_only,
            technical_analysis: d.technical_analysis,
            news_summary: d.news_summary,
            market_overview: d.market_overview,
            educational: d.educational,
            general_query: d.general_query,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawUserTiers {
    anonymous: ModelTier,
    standard: ModelTier,
    premium: ModelTier,
}

impl Default for RawUserTiers {
    fn default() -> Self {
        RawUserTiers {
            anonymous: ModelTier::Cheap,
            standard: ModelTier::Mid,
            premium: ModelTier::Premium,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLoad {
    max_in_flight: usize,
    shed_intents: Vec<String>,
}

impl Default for RawLoad {
    fn default() -> Self {
        RawLoad {
            max_in_flight: 256,
            shed_intents: [
                "general_query",
                "educational",
                "market_overview",
                "news_summary",
                "technical_analysis",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawBreaker {
    window_ms: u64,
    min_requests: u32,
    error_rate: f64,
    cooldown_ms: u64,
}

impl Default for RawBreaker {
    fn default() -> Self {
        RawBreaker {
            window_ms: 30_000,
            min_requests: 5,
            error_rate: 0.5,
            cooldown_ms: 15_000,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawFlags {
    prefer_structured_chart_commands: RawRollout,
    enable_structured_chart_objects: RawRollout,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawRollout {
    rollout_percent: u8,
}

// ---------------------------------------------------------------------------------------------
// Validated shape.
// ---------------------------------------------------------------------------------------------

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub log: LogConfig,
    pub llm: LlmConfig,
    pub models: TierChains,
    pub prices: Prices,
    pub routing: RoutingConfig,
    pub flags: FlagsConfig,
    pub stream: crate::stream::StreamConfig,
    pub redis: crate::redis::RedisConfig,
    pub rate_limits: crate::ratelimit::RateLimitsConfig,
    pub auth: AuthConfig,
    pub cache: crate::cache::config::CacheConfig,
    pub budgets: crate::budget::BudgetsConfig,
    pub alerts: crate::alerts::AlertsConfig,
}

/// Callers: API keys (in the store) and the admin key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Whether requests without an API key are answered (as the anonymous tier).
    pub allow_anonymous: bool,
    /// From `CHARTGATE_AUTH__ADMIN_KEY` only; `None`: no admin access at all.
    pub admin_key: Option<Secret>,
    /// Peers whose `X-Forwarded-For` is believed (addresses or CIDR ranges); empty: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a key lookup is reused (revocation delay); zero: every request reads SQLite.
    pub key_cache_ttl: std::time::Duration,
}

/// HTTP listener and request bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    pub limits: Limits,
    pub conn: ConnLimits,
    /// Graceful shutdown: how long in-flight requests may take before connections are closed.
    pub shutdown_timeout: Duration,
    pub cors: CorsConfig,
    /// The built demo page (`index.html` + `assets/`) served at `/` (docs/demo.md).
    pub demo_dir: PathBuf,
}

/// The front door's connection bounds (`docs/security.md` says why each exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Request line longer than this: 414 before routing.
    pub max_uri_bytes: usize,
    /// Request head (request line and headers) larger than this: 431 before routing.
    pub max_header_bytes: usize,
    /// More header lines than this: 431 before routing.
    pub max_headers: usize,
    /// From a request head's first byte to its last.
    pub header_timeout: Duration,
    /// From a request head's end to its body's last byte (the whole body, not between bytes).
    pub body_timeout: Duration,
    /// A connection with no request in progress and no byte of a new one is closed after this.
    pub idle_timeout: Duration,
    /// A write that makes no progress this long (a client that stopped reading) closes the
    /// connection.
    pub write_timeout: Duration,
    /// Open connections in total; over it a new connection is closed at once.
    pub max_connections: usize,
    /// Open connections per client IP address; over it a new connection is closed at once.
    pub max_connections_per_address: usize,
}

/// Cross-origin access for browser pages on other origins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsConfig {
    /// Allowed origins (`https://app.example.com`), or the single entry `*`; empty: none.
    pub origins: Vec<String>,
    /// Send `Access-Control-Allow-Credentials: true` (never together with `*`).
    pub allow_credentials: bool,
}

/// `server.demo_dir` when the key is empty: the repository's own build output
/// (`cd frontend-bindings && npm run build:demo`), found from where the binary was built.
pub const DEFAULT_DEMO_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../frontend-bindings/demo/dist"
);

/// Bounds on client input (spec §7): anything over them is a 413 or a 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_query_chars: usize,
    pub max_history_messages: usize,
    pub max_history_content_chars: usize,
    pub max_id_chars: usize,
}

/// The SQLite store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub path: PathBuf,
    /// Ledger rows buffered between the request path and the writer task.
    pub ledger_queue: usize,
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `chartgate_server=debug,info`.
    pub filter: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Which provider answers model-path requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Core's understanding and a templated sentence; no network.
    Offline,
    /// An OpenAI-compatible endpoint through `async-openai`.
    OpenAi,
}

impl ProviderKind {
    /// The name shown in `/health` and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Offline => "offline",
            ProviderKind::OpenAi => "openai",
        }
    }
}

/// The model provider.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    pub base_url: String,
    /// From `CHARTGATE_OPENAI_API_KEY` (or `OPENAI_API_KEY`) only.
    pub api_key: Option<Secret>,
    /// Per upstream attempt, covering connect, request and the whole response body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_completion_tokens: u32,
    pub temperature: Option<f32>,
    pub system_prompt: String,
    /// A model's answer (whole, or all of a stream's deltas) is cut at this many bytes.
    pub max_response_bytes: usize,
}

/// USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cached_input: f64,
}

/// Token counts of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cached_tokens: u32,
}

impl Price {
    /// Cost in USD of one call: uncached prompt tokens at the input price, cached ones at the
    /// cached-input price, completion tokens at the output price.
    pub fn cost(&self, usage: Usage) -> f64 {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        let uncached = usage.prompt_tokens - cached;
        (f64::from(uncached) * self.input
            + f64::from(cached) * self.cached_input
            + f64::from(usage.completion_tokens) * self.output)
            / 1_000_000.0
    }
}

/// The price table, by model name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prices(pub HashMap<String, Price>);

impl Prices {
    /// The price of `model`, if configured (validation guarantees it for every routed model).
    pub fn get(&self, model: &str) -> Option<Price> {
        self.0.get(model).copied()
    }
}

/// Routing policy inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingConfig {
    /// Answer pure chart-control requests from core alone.
    pub fast_path: bool,
    pub intent_tiers: IntentTiers,
    /// The highest model tier each caller tier may use.
    pub user_caps: UserCaps,
    pub load: LoadConfig,
    pub breaker: BreakerConfig,
}

/// Highest model tier per caller tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserCaps {
    pub anonymous: ModelTier,
    pub standard: ModelTier,
    pub premium: ModelTier,
}

impl UserCaps {
    /// The cap of `tier`.
    pub fn cap(&self, tier: UserTier) -> ModelTier {
        match tier {
            UserTier::Anonymous => self.anonymous,
            UserTier::Standard => self.standard,
            UserTier::Premium => self.premium,
        }
    }
}

/// The two rollout flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagsConfig {
    /// `PREFER_STRUCTURED_CHART_COMMANDS`: percent of callers (0–100).
    pub prefer_structured_percent: u8,
    /// `ENABLE_STRUCTURED_CHART_OBJECTS`: percent of callers (0–100).
    pub structured_objects_percent: u8,
}

/// The system prompt used when the config sets none.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are the assistant of a trading chart application. \
Answer briefly and factually. When the user wants the chart changed (symbol, timeframe, \
indicators, drawings, zoom, style), call the chart_commands tool with the commands; never write \
command strings in the text. Do not give financial advice.";

impl Config {
    /// Loads the configuration: embedded defaults, then the TOML file (`path`, else the
    /// `CHARTGATE_CONFIG` variable, else none), then environment overrides from `env`.
    pub fn load(path: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let env_path = env.get("CHARTGATE_CONFIG").map(PathBuf::from);
        let path = path.map(Path::to_path_buf).or(env_path);
        let mut table = match &path {
            Some(p) => read_table(p)?,
            None => toml::Table::new(),
        };
        apply_env(&mut table, env)?;
        let raw: RawConfig = deserialize_raw(table)?;
        validate(raw, env)
    }

    /// The embedded defaults with no file and no environment (what `chartgate serve` runs with
    /// on a bare machine).
    pub fn defaults() -> Config {
        validate(RawConfig::default(), &HashMap::new())
            .expect("the embedded defaults are valid (checked by a unit test)")
    }
}

/// A snapshot of the process environment (variables that are not valid UTF-8 are skipped).
/// `main` passes it to [`Config::load`]; nothing else reads the environment.
pub fn env_snapshot() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: path.display().to_string(),
            message: e.message().to_owned(),
        })
}

fn deserialize_raw(table: toml::Table) -> Result<RawConfig, ConfigError> {
    let value = toml::Value::Table(table);
    serde_path_to_error::deserialize::<_, RawConfig>(value).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner().to_string();
        let message = inner.lines().next().unwrap_or("invalid value").to_owned();
        if key.ends_with("api_key") || message.contains("`api_key`") {
            ConfigError::invalid(
                key,
                format!("{message}; the API key is read only from CHARTGATE_OPENAI_API_KEY"),
            )
        } else {
            ConfigError::invalid(key, message)
        }
    })
}

/// Environment shortcuts: variable → key path.
const ENV_SHORTCUTS: [(&str, &str); 8] = [
    ("CHARTGATE_BIND", "server.bind"),
    ("CHARTGATE_DB", "store.path"),
    ("CHARTGATE_PROVIDER", "llm.provider"),
    ("CHARTGATE_OPENAI_BASE_URL", "llm.base_url"),
    ("CHARTGATE_LOG", "log.filter"),
    ("CHARTGATE_LOG_FORMAT", "log.format"),
    (
        "CHARTGATE_PREFER_STRUCTURED_PERCENT",
        "flags.prefer_structured_chart_commands.rollout_percent",
    ),
    (
        "CHARTGATE_STRUCTURED_OBJECTS_PERCENT",
        "flags.enable_structured_chart_objects.rollout_percent",
    ),
];

/// Variables read elsewhere in this module (not key overrides).
const ENV_SPECIAL: [&str; 4] = [
    "CHARTGATE_CONFIG",
    "CHARTGATE_OPENAI_API_KEY",
    "CHARTGATE_AUTH__ADMIN_KEY",
    crate::alerts::SECRET_VAR,
];

/// Applies overrides: shortcuts, the generic `CHARTGATE_SECTION__KEY` form, and the legacy flag
/// names `PREFER_STRUCTURED_CHART_COMMANDS` / `ENABLE_STRUCTURED_CHART_OBJECTS` (true/false or a
/// percent). Unknown `CHARTGATE_*` variables are rejected so a typo cannot go unnoticed.
fn apply_env(table: &mut toml::Table, env: &HashMap<String, String>) -> Result<(), ConfigError> {
    let mut vars: Vec<(&String, &String)> = env.iter().collect();
    vars.sort();
    for (legacy, path) in [
        (
            "PREFER_STRUCTURED_CHART_COMMANDS",
            "flags.prefer_structured_chart_commands.rollout_percent",
        ),
        (
            "ENABLE_STRUCTURED_CHART_OBJECTS",
            "flags.enable_structured_chart_objects.rollout_percent",
        ),
    ] {
        if let Some(raw) = env.get(legacy) {
            let percent = match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => 100,
                "false" | "0" | "no" | "off" | "" => 0,
                other => other.parse::<i64>().map_err(|_| ConfigError::Env {
                    var: legacy.to_owned(),
                    message: format!("expected true, false or a percent 0-100, got {other:?}"),
                })?,
            };
            set_path(table, path, toml::Value::Integer(percent), legacy)?;
        }
    }
    for (var, raw) in vars {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if ENV_SPECIAL.contains(&var.as_str()) {
            continue;
        }
        let path = if let Some((_, p)) = ENV_SHORTCUTS.iter().find(|(v, _)| v == var) {
            (*p).to_owned()
        } else if rest.contains("__") {
            rest.split("__")
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
                .join(".")
        } else {
            return Err(ConfigError::Env {
                var: var.clone(),
                message:
                    "unknown variable (use CHARTGATE_SECTION__KEY for any key, see docs/config.md)"
                        .into(),
            });
        };
        set_path(table, &path, parse_env_value(raw), var)?;
    }
    Ok(())
}

/// An environment value as TOML: numbers, booleans and arrays when they parse, else a string.
fn parse_env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(
    table: &mut toml::Table,
    path: &str,
    value: toml::Value,
    var: &str,
) -> Result<(), ConfigError> {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else {
        return Err(ConfigError::Env {
            var: var.to_owned(),
            message: "empty key path".into(),
        });
    };
    let mut cur = table;
    for (i, p) in parents.iter().enumerate() {
        let entry = cur
            .entry((*p).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::Env {
                    var: var.to_owned(),
                    message: format!("{} is not a table", parts[..=i].join(".")),
                })
            }
        };
    }
    cur.insert((*last).to_owned(), value);
    Ok(())
}

fn validate(raw: RawConfig, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
    let bind: SocketAddr = raw.server.bind.parse().map_err(|_| {
        ConfigError::invalid(
            "server.bind",
            format!(
                "expected an address like 127.0.0.1:8080, got {:?}",
                raw.server.bind
            ),
        )
    })?;
    let s = &raw.server;
    for (key, v) in [
        ("server.max_body_bytes", s.max_body_bytes),
        ("server.max_query_chars", s.max_query_chars),
        ("server.max_id_chars", s.max_id_chars),
        (
            "server.max_history_content_chars",
            s.max_history_content_chars,
        ),
    ] {
        if v == 0 {
            return Err(ConfigError::invalid(key, "must be greater than 0"));
        }
    }
    if raw.store.path.trim().is_empty() {
        return Err(ConfigError::invalid("store.path", "must not be empty"));
    }
    if raw.store.ledger_queue == 0 {
        return Err(ConfigError::invalid(
            "store.ledger_queue",
            "must be greater than 0",
        ));
    }
    let format = match raw.log.format.as_str() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            return Err(ConfigError::invalid(
                "log.format",
                format!("expected \"text\" or \"json\", got {other:?}"),
            ))
        }
    };

    let allow_anonymous = match raw.auth.anonymous.as_str() {
        "allow" => true,
        "deny" => false,
        other => {
            return Err(ConfigError::invalid(
                "auth.anonymous",
                format!("expected \"allow\" or \"deny\", got {other:?}"),
            ))
        }
    };
    let admin_key = match env.get("CHARTGATE_AUTH__ADMIN_KEY").map(|k| k.trim()) {
        None | Some("") => None,
        Some(k) if k.len() < 32 => {
            return Err(ConfigError::Env {
                var: "CHARTGATE_AUTH__ADMIN_KEY".into(),
                message: "must be at least 32 characters (use a random value)".into(),
            })
        }
        Some(k) => Some(Secret::new(k)),
    };

    let api_key = env
        .get("CHARTGATE_OPENAI_API_KEY")
        .or_else(|| env.get("OPENAI_API_KEY"))
        .filter(|k| !k.trim().is_empty())
        .map(|k| Secret::new(k.trim()));
    let provider = match raw.llm.provider.as_str() {
        "auto" if api_key.is_some() => ProviderKind::OpenAi,
        "auto" | "offline" => ProviderKind::Offline,
        "openai" => ProviderKind::OpenAi,
        other => {
            return Err(ConfigError::invalid(
                "llm.provider",
                format!("expected \"auto\", \"offline\" or \"openai\", got {other:?}"),
            ))
        }
    };
    let base_url = raw.llm.base_url.trim_end_matches('/').to_owned();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(ConfigError::invalid(
            "llm.base_url",
            format!("expected an http:// or https:// URL, got {base_url:?}"),
        ));
    }
    if raw.llm.timeout_ms == 0 || raw.llm.connect_timeout_ms == 0 {
        let key = if raw.llm.timeout_ms == 0 {
            "llm.timeout_ms"
        } else {
            "llm.connect_timeout_ms"
        };
        return Err(ConfigError::invalid(key, "must be greater than 0"));
    }
    if raw.llm.max_response_bytes == 0 {
        return Err(ConfigError::invalid(
            "llm.max_response_bytes",
            "must be greater than 0",
        ));
    }
    let stream = crate::stream::StreamConfig::try_from(raw.stream)
        .map_err(|(key, message)| ConfigError::invalid(key, message))?;
    let redis = crate::redis::RedisConfig::try_from(raw.redis)
        .map_err(|(key, message)| ConfigError::invalid(key, message))?;
    let rate_limits = crate::ratelimit::RateLimitsConfig::try_from(raw.rate_limits)
        .map_err(|(key, message)| ConfigError::invalid(key, message))?;
    let trusted_proxies = raw
        .auth
        .trusted_proxies
        .iter()
        .map(|p| {
            let p = p.trim();
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::invalid(
                        "auth.trusted_proxies",
                        format!(
                            "{:?} is not an IP address or CIDR range",
                            p.chars().take(60).collect::<String>()
                        ),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cache = crate::cache::config::CacheConfig::try_from(raw.cache)
        .map_err(|(key, message)| ConfigError::invalid(key, message))?;
    if raw.llm.max_completion_tokens == 0 {
        return Err(ConfigError::invalid(
            "llm.max_completion_tokens",
            "must be greater than 0",
        ));
    }
    if let Some(t) = raw.llm.temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(ConfigError::invalid(
                "llm.temperature",
                "must be between 0 and 2",
            ));
        }
    }

    let chain = |key: &str, c: &RawChain| -> Result<Vec<String>, ConfigError> {
        let (_, model, fallbacks) = DEFAULT_CHAINS
            .iter()
            .find(|(tier, _, _)| key.ends_with(tier))
            .copied()
            .unwrap_or(("", "", &[]));
        let mut out = vec![c.model.as_deref().unwrap_or(model).trim().to_owned()];
        match &c.fallbacks {
            Some(f) => out.extend(f.iter().map(|m| m.trim().to_owned())),
            None => out.extend(fallbacks.iter().map(|m| (*m).to_owned())),
        }
        if out.iter().any(String::is_empty) {
            return Err(ConfigError::invalid(key, "model names must not be empty"));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = out.iter().find(|m| !seen.insert(m.as_str())) {
            return Err(ConfigError::invalid(
                key,
                format!("model {dup:?} appears twice in the chain"),
            ));
        }
        Ok(out)
    };
    let models = TierChains {
        cheap: chain("models.cheap", &raw.models.cheap)?,
        mid: chain("models.mid", &raw.models.mid)?,
        premium: chain("models.premium", &raw.models.premium)?,
    };

    let mut prices = HashMap::new();
    for (name, input, output, cached_input) in DEFAULT_PRICES {
        prices.insert(
            name.to_owned(),
            Price {
                input,
                output,
                cached_input,
            },
        );
    }
    for (name, p) in &raw.prices {
        for (field, v) in [
            ("input", p.input),
            ("output", p.output),
            ("cached_input", p.cached_input),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ConfigError::invalid(
                    format!("prices.{name}.{field}"),
                    "must be a finite number >= 0",
                ));
            }
        }
        prices.insert(
            name.clone(),
            Price {
                input: p.input,
                output: p.output,
                cached_input: p.cached_input,
            },
        );
    }
    for (tier, list) in [
        ("cheap", &models.cheap),
        ("mid", &models.mid),
        ("premium", &models.premium),
    ] {
        for m in list {
            if !prices.contains_key(m) {
                return Err(ConfigError::invalid(
                    format!("prices.{m}"),
                    format!("model {m:?} is used in models.{tier} but has no price (input, output, cached_input per 1M tokens)"),
                ));
            }
        }
    }

    let it = &raw.routing.intent_tiers;
    let intent_tiers = IntentTiers {
        chart_command: it.chart_command,
        price_only: it.price_only,
        technical_analysis: it.technical_analysis,
        news_summary: it.news_summary,
        market_overview: it.market_overview,
        educational: it.educational,
        general_query: it.general_query,
    };
    let mut shed = Vec::new();
    for (i, name) in raw.routing.load.shed_intents.iter().enumerate() {
        match crate::routing::parse_intent(name) {
            Some(intent) => shed.push(intent),
            None => {
                return Err(ConfigError::invalid(
                    format!("routing.load.shed_intents[{i}]"),
                    format!("unknown intent {name:?}"),
                ))
            }
        }
    }
    if raw.routing.load.max_in_flight == 0 {
        return Err(ConfigError::invalid(
            "routing.load.max_in_flight",
            "must be greater than 0",
        ));
    }
    let b = &raw.routing.breaker;
    if b.window_ms == 0 || b.cooldown_ms == 0 {
        let key = if b.window_ms == 0 {
            "routing.breaker.window_ms"
        } else {
            "routing.breaker.cooldown_ms"
        };
        return Err(ConfigError::invalid(key, "must be greater than 0"));
    }
    if !(b.error_rate > 0.0 && b.error_rate <= 1.0) {
        return Err(ConfigError::invalid(
            "routing.breaker.error_rate",
            "must be in (0, 1]",
        ));
    }
    if b.min_requests == 0 {
        return Err(ConfigError::invalid(
            "routing.breaker.min_requests",
            "must be at least 1",
        ));
    }

    for (key, v) in [
        (
            "flags.prefer_structured_chart_commands.rollout_percent",
            raw.flags.prefer_structured_chart_commands.rollout_percent,
        ),
        (
            "flags.enable_structured_chart_objects.rollout_percent",
            raw.flags.enable_structured_chart_objects.rollout_percent,
        ),
    ] {
        if v > 100 {
            return Err(ConfigError::invalid(key, format!("must be 0-100, got {v}")));
        }
    }

    let conn = validate_conn(s)?;
    let cors = validate_cors(&s.cors_origins, s.cors_allow_credentials)?;

    Ok(Config {
        server: ServerConfig {
            bind,
            limits: Limits {
                max_body_bytes: s.max_body_bytes,
                max_query_chars: s.max_query_chars,
                max_history_messages: s.max_history_messages,
                max_history_content_chars: s.max_history_content_chars,
                max_id_chars: s.max_id_chars,
            },
            conn,
            shutdown_timeout: Duration::from_millis(s.shutdown_timeout_ms),
            cors,
            demo_dir: PathBuf::from(if s.demo_dir.is_empty() {
                DEFAULT_DEMO_DIR
            } else {
                s.demo_dir.as_str()
            }),
        },
        store: StoreConfig {
            path: PathBuf::from(raw.store.path),
            ledger_queue: raw.store.ledger_queue,
        },
        log: LogConfig {
            format,
            filter: raw.log.filter,
        },
        llm: LlmConfig {
            provider,
            base_url,
            api_key,
            timeout: Duration::from_millis(raw.llm.timeout_ms),
            connect_timeout: Duration::from_millis(raw.llm.connect_timeout_ms),
            max_completion_tokens: raw.llm.max_completion_tokens,
            temperature: raw.llm.temperature,
            system_prompt: raw
                .llm
                .system_prompt
                .unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT.to_owned()),
            max_response_bytes: raw.llm.max_response_bytes,
        },
        models,
        prices: Prices(prices),
        routing: RoutingConfig {
            fast_path: raw.routing.fast_path,
            intent_tiers,
            user_caps: UserCaps {
                anonymous: raw.routing.user_tiers.anonymous,
                standard: raw.routing.user_tiers.standard,
                premium: raw.routing.user_tiers.premium,
            },
            load: LoadConfig {
                max_in_flight: raw.routing.load.max_in_flight,
                shed_intents: shed,
            },
            breaker: BreakerConfig {
                window: Duration::from_millis(b.window_ms),
                min_requests: b.min_requests,
                error_rate: b.error_rate,
                cooldown: Duration::from_millis(b.cooldown_ms),
            },
        },
        auth: AuthConfig {
            allow_anonymous,
            admin_key,
            trusted_proxies,
            key_cache_ttl: std::time::Duration::from_millis(
                raw.auth.key_cache_ttl_ms.min(3_600_000),
            ),
        },
        flags: FlagsConfig {
            prefer_structured_percent: raw.flags.prefer_structured_chart_commands.rollout_percent,
            structured_objects_percent: raw.flags.enable_structured_chart_objects.rollout_percent,
        },
        stream,
        redis,
        budgets: crate::budget::BudgetsConfig::try_from(raw.budgets)
            .map_err(|(key, message)| ConfigError::invalid(key, message))?,
        alerts: crate::alerts::AlertsConfig::from_raw(raw.alerts, env)
            .map_err(|(key, message)| ConfigError::invalid(key, message))?,
        rate_limits,
        cache,
    })
}

fn validate_conn(s: &RawServer) -> Result<ConnLimits, ConfigError> {
    for (key, v) in [
        ("server.header_timeout_ms", s.header_timeout_ms),
        ("server.body_timeout_ms", s.body_timeout_ms),
        ("server.idle_timeout_ms", s.idle_timeout_ms),
        ("server.write_timeout_ms", s.write_timeout_ms),
        ("server.shutdown_timeout_ms", s.shutdown_timeout_ms),
    ] {
        if v == 0 {
            return Err(ConfigError::invalid(key, "must be greater than 0"));
        }
    }
    for (key, v) in [
        ("server.max_headers", s.max_headers),
        ("server.max_connections", s.max_connections),
        (
            "server.max_connections_per_address",
            s.max_connections_per_address,
        ),
    ] {
        if v == 0 {
            return Err(ConfigError::invalid(key, "must be greater than 0"));
        }
    }
    if s.max_headers > 1000 {
        return Err(ConfigError::invalid(
            "server.max_headers",
            "must be at most 1000",
        ));
    }
    if s.max_uri_bytes < 256 {
        return Err(ConfigError::invalid(
            "server.max_uri_bytes",
            "must be at least 256",
        ));
    }
    if s.max_header_bytes < 1024 || s.max_header_bytes > 1024 * 1024 {
        return Err(ConfigError::invalid(
            "server.max_header_bytes",
            "must be between 1024 and 1048576",
        ));
    }
    if s.max_connections_per_address > s.max_connections {
        return Err(ConfigError::invalid(
            "server.max_connections_per_address",
            format!(
                "must not exceed server.max_connections ({})",
                s.max_connections
            ),
        ));
    }
    Ok(ConnLimits {
        max_uri_bytes: s.max_uri_bytes,
        max_header_bytes: s.max_header_bytes,
        max_headers: s.max_headers,
        header_timeout: Duration::from_millis(s.header_timeout_ms),
        body_timeout: Duration::from_millis(s.body_timeout_ms),
        idle_timeout: Duration::from_millis(s.idle_timeout_ms),
        write_timeout: Duration::from_millis(s.write_timeout_ms),
        max_connections: s.max_connections,
        max_connections_per_address: s.max_connections_per_address,
    })
}

/// Origins are `scheme://host[:port]` exactly as a browser sends them (no path, no trailing
/// slash), or a lone `*`; `*` with credentials is refused because browsers refuse it too and a
/// server that reflected origins instead would hand every site the caller's credentials.
fn validate_cors(origins: &[String], credentials: bool) -> Result<CorsConfig, ConfigError> {
    let key = "server.cors_origins";
    let wildcard = origins.iter().any(|o| o.trim() == "*");
    if wildcard && origins.len() > 1 {
        return Err(ConfigError::invalid(
            key,
            "\"*\" must be the only entry when present",
        ));
    }
    if wildcard && credentials {
        return Err(ConfigError::invalid(
            "server.cors_allow_credentials",
            "cannot be true when server.cors_origins is [\"*\"]: list the origins instead",
        ));
    }
    let mut out = Vec::with_capacity(origins.len());
    for (i, o) in origins.iter().enumerate() {
        let o = o.trim();
        if o == "*" {
            out.push(o.to_owned());
            continue;
        }
        let rest = o
            .strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"));
        let ok = rest.is_some_and(|host| {
            !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
        if !ok {
            return Err(ConfigError::invalid(
                format!("{key}[{i}]"),
                format!("expected an origin like https://app.example.com (scheme, host, optional port; no path), got {o:?}"),
            ));
        }
        out.push(o.to_ascii_lowercase());
    }
    Ok(CorsConfig {
        origins: out,
        allow_credentials: credentials,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load_str(toml_text: &str, e: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, toml_text).unwrap();
        Config::load(Some(&p), &env(e))
    }

    #[test]
    fn defaults_are_valid_and_offline_without_a_key() {
        let c = Config::defaults();
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.llm.provider, ProviderKind::Offline);
        assert_eq!(c.models.premium, vec!["gpt-5", "gpt-4o", "gpt-4o-mini"]);
        assert_eq!(c.prices.get("gpt-4o").unwrap().output, 10.0);
        assert_eq!(c.store.path, PathBuf::from("./data/chartgate.sqlite3"));
    }

    #[test]
    fn auto_provider_becomes_openai_when_a_key_is_set() {
        let c = Config::load(None, &env(&[("CHARTGATE_OPENAI_API_KEY", "sk-test-123")])).unwrap();
        assert_eq!(c.llm.provider, ProviderKind::OpenAi);
        assert_eq!(c.llm.api_key.as_ref().unwrap().expose(), "sk-test-123");
        let fallback = Config::load(None, &env(&[("OPENAI_API_KEY", "sk-other")])).unwrap();
        assert_eq!(fallback.llm.api_key.unwrap().expose(), "sk-other");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let c = Config::load(
            None,
            &env(&[("CHARTGATE_OPENAI_API_KEY", "sk-live-SECRET")]),
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk-live-SECRET"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn unknown_key_is_rejected_with_its_path() {
        let e = load_str("[server]\nbnd = \"127.0.0.1:1\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "server.bnd", "{e}");
        let e = load_str("[routing.breaker]\ncooldown = 3\n", &[]).unwrap_err();
        assert_eq!(e.key(), "routing.breaker.cooldown", "{e}");
        let e = load_str("[nope]\n", &[]).unwrap_err();
        assert_eq!(e.key(), "nope", "{e}");
    }

    #[test]
    fn api_key_in_file_is_rejected_with_a_hint() {
        let e = load_str("[llm]\napi_key = \"sk-x\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "llm.api_key");
        assert!(e.to_string().contains("CHARTGATE_OPENAI_API_KEY"), "{e}");
        assert!(!e.to_string().contains("sk-x"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = load_str("[routing.load]\nmax_in_flight = \"many\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "routing.load.max_in_flight", "{e}");
    }

    #[test]
    fn env_overrides_file_and_shortcuts_work() {
        let c = load_str(
            "[server]\nbind = \"127.0.0.1:9000\"\n[routing.load]\nmax_in_flight = 10\n",
            &[
                ("CHARTGATE_BIND", "127.0.0.1:9100"),
                ("CHARTGATE_ROUTING__LOAD__MAX_IN_FLIGHT", "20"),
                ("CHARTGATE_MODELS__CHEAP__FALLBACKS", "[\"gpt-4o\"]"),
                ("PREFER_STRUCTURED_CHART_COMMANDS", "true"),
                ("CHARTGATE_STRUCTURED_OBJECTS_PERCENT", "50"),
            ],
        )
        .unwrap();
        assert_eq!(c.server.bind.port(), 9100);
        assert_eq!(c.routing.load.max_in_flight, 20);
        assert_eq!(c.models.cheap, vec!["gpt-4o-mini", "gpt-4o"]);
        assert_eq!(c.flags.prefer_structured_percent, 100);
        assert_eq!(c.flags.structured_objects_percent, 50);
    }

    #[test]
    fn unknown_env_variable_and_unknown_env_path_are_rejected() {
        let e = Config::load(None, &env(&[("CHARTGATE_BINDD", "x")])).unwrap_err();
        assert_eq!(e.key(), "CHARTGATE_BINDD");
        let e = Config::load(None, &env(&[("CHARTGATE_SERVER__NOPE", "1")])).unwrap_err();
        assert_eq!(e.key(), "server.nope");
    }

    #[test]
    fn validation_errors_name_the_key() {
        let e = load_str(
            "[flags.enable_structured_chart_objects]\nrollout_percent = 101\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.key(),
            "flags.enable_structured_chart_objects.rollout_percent"
        );
        let e = load_str("[models.mid]\nmodel = \"llama3\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "prices.llama3");
        let e = load_str("[server]\nbind = \"nowhere\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "server.bind");
        let e = load_str("[routing.load]\nshed_intents = [\"gossip\"]\n", &[]).unwrap_err();
        assert_eq!(e.key(), "routing.load.shed_intents[0]");
        let e = load_str("[llm]\nprovider = \"anthropic\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "llm.provider");
    }

    #[test]
    fn price_cost_counts_cached_tokens_at_the_cached_rate() {
        let p = Config::defaults().prices.get("gpt-4o-mini").unwrap();
        let usage = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 1_000_000,
            cached_tokens: 500_000,
        };
        let cost = p.cost(usage);
        assert!(
            (cost - (0.5 * 0.15 + 0.5 * 0.075 + 0.60)).abs() < 1e-12,
            "{cost}"
        );
    }

    #[test]
    fn front_door_limits_are_validated() {
        let c = Config::defaults();
        assert_eq!(c.server.conn.max_connections, 512);
        assert_eq!(c.server.shutdown_timeout, Duration::from_secs(10));
        assert!(c.server.cors.origins.is_empty());
        for (text, key) in [
            (
                "[server]\nheader_timeout_ms = 0\n",
                "server.header_timeout_ms",
            ),
            (
                "[server]\nshutdown_timeout_ms = 0\n",
                "server.shutdown_timeout_ms",
            ),
            (
                "[server]\nmax_connections = 10\nmax_connections_per_address = 11\n",
                "server.max_connections_per_address",
            ),
            (
                "[server]\nmax_header_bytes = 10\n",
                "server.max_header_bytes",
            ),
            (
                "[server]\ncors_origins = [\"https://a.example/path\"]\n",
                "server.cors_origins[0]",
            ),
            (
                "[server]\ncors_origins = [\"*\", \"https://a.example\"]\n",
                "server.cors_origins",
            ),
        ] {
            assert_eq!(load_str(text, &[]).unwrap_err().key(), key, "{text}");
        }
    }

    #[test]
    fn cors_credentials_with_a_wildcard_are_refused() {
        let e = load_str(
            "[server]\ncors_origins = [\"*\"]\ncors_allow_credentials = true\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key(), "server.cors_allow_credentials", "{e}");
        let ok = load_str(
            "[server]\ncors_origins = [\"https://App.example:8443\"]\ncors_allow_credentials = true\n",
            &[],
        )
        .unwrap();
        assert_eq!(ok.server.cors.origins, vec!["https://app.example:8443"]);
        assert!(ok.server.cors.allow_credentials);
        let wild = load_str("[server]\ncors_origins = [\"*\"]\n", &[]).unwrap();
        assert_eq!(wild.server.cors.origins, vec!["*"]);
    }

    #[test]
    fn the_admin_key_comes_from_the_environment_only() {
        let e = load_str("[auth]\nadmin_key = \"x\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "auth.admin_key", "{e}");
        let key = "k".repeat(40);
        let c = Config::load(None, &env(&[("CHARTGATE_AUTH__ADMIN_KEY", &key)])).unwrap();
        assert_eq!(c.auth.admin_key.as_ref().unwrap().expose(), key);
        assert!(!format!("{c:?}").contains(&key));
        let short = Config::load(None, &env(&[("CHARTGATE_AUTH__ADMIN_KEY", "short")]));
        assert_eq!(short.unwrap_err().key(), "CHARTGATE_AUTH__ADMIN_KEY");
        assert!(Config::defaults().auth.allow_anonymous);
        let deny = load_str("[auth]\nanonymous = \"deny\"\n", &[]).unwrap();
        assert!(!deny.auth.allow_anonymous);
        let e = load_str("[auth]\nanonymous = \"maybe\"\n", &[]).unwrap_err();
        assert_eq!(e.key(), "auth.anonymous");
    }

    #[test]
    fn syntax_error_is_reported_with_the_file() {
        let e = load_str("[server\n", &[]).unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { .. }), "{e:?}");
    }
}
