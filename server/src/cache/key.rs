//! Cache keys: SHA-256 (`ring`) over every input that changes an answer, each field
//! length-prefixed so no two different inputs hash the same bytes.
//!
//! In the key: the normalized question (or, for intents keyed by understanding, core's canonical
//! understanding: intent and canonical commands), the conversation history, the chart context,
//! the model actually called, the system-prompt version, the tool-schema version and the sampling
//! parameters. Not in it: the caller's flags (an answer is shaped by them at delivery), who asks.

use super::config::KeyKind;
use crate::llm::{ChartContext, Turn};
use chartgate_core::Understanding;

/// Key format version: bump when what goes into a key changes, so old entries stop matching.
const KEY_FORMAT: &str = "chartgate-cache-key/1";

/// Everything that changes an answer except the model (see [`KeyParts::key`]).
#[derive(Debug, Clone)]
pub struct KeyParts {
    material: Vec<u8>,
}

/// Unicode-aware case and whitespace folding: lower case (full Unicode mapping), every run of
/// Unicode whitespace one space, trimmed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A version string for a text (the system prompt, the tool schema): the first 16 hex digits of
/// its SHA-256.
pub fn version_of(text: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())[..16].to_owned()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn field(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.extend_from_slice(name.as_bytes());
    buf.push(0);
    buf.extend_from_slice(&(value.len() as u64).to_be_bytes());
    buf.extend_from_slice(value);
}

/// The inputs of a key.
pub struct KeyInput<'a> {
    pub kind: KeyKind,
    pub query: &'a str,
    pub understanding: &'a Understanding,
    pub history: &'a [Turn],
    pub chart_context: Option<&'a ChartContext>,
    pub system_prompt_version: &'a str,
    pub tool_schema_version: &'a str,
    pub temperature: Option<f32>,
    pub max_completion_tokens: u32,
}

impl KeyParts {
    pub fn new(i: &KeyInput<'_>) -> KeyParts {
        let mut b = Vec::with_capacity(256);
        field(&mut b, "format", KEY_FORMAT.as_bytes());
        // An understanding without commands names no symbol: two such questions may ask
        // different things, so they are keyed by their text.
        let kind = match i.kind {
            KeyKind::Understanding if i.understanding.legacy.is_empty() => KeyKind::Text,
            k => k,
        };
        field(&mut b, "kind", kind.as_str().as_bytes());
        match kind {
            KeyKind::Text => field(&mut b, "query", normalize(i.query).as_bytes()),
            KeyKind::Understanding => {
                field(&mut b, "intent", i.understanding.intent.as_str().as_bytes());
                for c in &i.understanding.legacy {
                    field(&mut b, "command", c.as_bytes());
                }
            }
        }
        field(&mut b, "history", &(i.history.len() as u64).to_be_bytes());
        for t in i.history {
            field(&mut b, "role", format!("{:?}", t.role).as_bytes());
            field(&mut b, "content", normalize(&t.content).as_bytes());
        }
        if let Some(c) = i.chart_context {
            field(
                &mut b,
                "symbol",
                c.symbol.as_deref().unwrap_or("").as_bytes(),
            );
            field(
                &mut b,
                "timeframe",
                c.timeframe.as_deref().unwrap_or("").as_bytes(),
            );
        }
        field(&mut b, "prompt", i.system_prompt_version.as_bytes());
        field(&mut b, "tools", i.tool_schema_version.as_bytes());
        let temperature = i.temperature.map_or(String::new(), |t| t.to_string());
        field(&mut b, "temperature", temperature.as_bytes());
        field(&mut b, "max_tokens", &i.max_completion_tokens.to_be_bytes());
        KeyParts { material: b }
    }

    /// The key for an answer from `model`: 64 lower-case hex digits.
    pub fn key(&self, model: &str) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.material);
        let mut m = Vec::new();
        field(&mut m, "model", model.as_bytes());
        ctx.update(&m);
        hex(ctx.finish().as_ref())
    }
}

/// Whether `s` has the shape of a key (64 lower-case hex digits).
pub fn is_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Role;

    fn parts(kind: KeyKind, query: &str, history: &[Turn]) -> KeyParts {
        let u = chartgate_core::understand(query);
        KeyParts::new(&KeyInput {
            kind,
            query,
            understanding: &u,
            history,
            chart_context: None,
            system_prompt_version: "p1",
            tool_schema_version: "t1",
            temperature: Some(0.2),
            max_completion_tokens: 500,
        })
    }

    #[test]
    fn normalization_folds_unicode_case_and_whitespace() {
        assert_eq!(normalize("  What's\tTSLA\u{00A0}AT? \n"), "what's tsla at?");
        assert_eq!(normalize("ÉTUDE  ΣΟΦΙΑ"), "étude σοφια");
        assert_eq!(normalize("straße"), normalize("STRASSE").replace("ss", "ß"));
    }

    #[test]
    fn keys_differ_by_every_input_and_agree_on_folded_text() {
        let a = parts(KeyKind::Text, "Explain RSI", &[]).key("gpt-4o");
        assert_eq!(a.len(), 64);
        assert!(is_key(&a));
        assert_eq!(
            a,
            parts(KeyKind::Text, " explain   rsi ", &[]).key("gpt-4o")
        );
        assert_ne!(a, parts(KeyKind::Text, "Explain MACD", &[]).key("gpt-4o"));
        assert_ne!(
            a,
            parts(KeyKind::Text, "Explain RSI", &[]).key("gpt-4o-mini")
        );
        let h = [Turn {
            role: Role::User,
            content: "hi".into(),
        }];
        assert_ne!(a, parts(KeyKind::Text, "Explain RSI", &h).key("gpt-4o"));
        // An understanding without commands falls back to the text; with one it is its own key.
        assert_eq!(
            a,
            parts(KeyKind::Understanding, "Explain RSI", &[]).key("gpt-4o")
        );
        let t = parts(KeyKind::Text, "TSLA price", &[]).key("gpt-4o");
        assert_ne!(
            t,
            parts(KeyKind::Understanding, "TSLA price", &[]).key("gpt-4o")
        );
    }

    #[test]
    fn understanding_keys_join_phrasings_of_one_price_question() {
        let a = parts(KeyKind::Understanding, "what's TSLA at?", &[]).key("m");
        let b = parts(KeyKind::Understanding, "tesla price?", &[]).key("m");
        let c = parts(KeyKind::Understanding, "nvidia price?", &[]).key("m");
        assert_eq!(a, b);
        assert_ne!(a, c);
        // No symbol understood: the text decides.
        let x = parts(KeyKind::Understanding, "what's the price?", &[]).key("m");
        let y = parts(KeyKind::Understanding, "how much is it now?", &[]).key("m");
        assert_ne!(x, y);
    }

    #[test]
    fn hostile_strings_are_not_keys() {
        for s in [
            "",
            "../etc/passwd",
            &"g".repeat(64),
            &"A".repeat(64),
            &"a".repeat(65),
        ] {
            assert!(!is_key(s), "{s}");
        }
    }
}
