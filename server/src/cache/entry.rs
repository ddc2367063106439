//! A cached answer: the events the model produced (text deltas and chart commands, in order) and
//! what the `done` event said of it. Replayed through the same `Answer` steps as a fresh answer,
//! so every endpoint (JSON or SSE) delivers it exactly like one, shaped by the caller's flags.
//!
//! Stored as JSON (SQLite blob, Redis string). Commands are kept as their canonical legacy
//! strings and parsed back by core on replay (`parse(legacy(c)) == c` for every command).

use serde::{Deserialize, Serialize};

/// Bump when the stored shape changes; entries of another version are ignored (a miss).
pub const FORMAT: u32 = 1;

/// One recorded event of the model's part of an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Recorded {
    Content { text: String },
    Command { legacy: String },
}

/// A cached answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    pub key: String,
    pub intent: String,
    /// The model that answered.
    pub model: String,
    /// The routing tier that answered (`cheap`, `mid`, `premium`).
    pub tier: String,
    pub text: String,
    pub events: Vec<Recorded>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// What the answer cost when it was made: what each hit saves.
    pub cost_usd: f64,
    pub created_ms: i64,
    pub expires_ms: i64,
}

impl Entry {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// An entry read back from a tier; `None` when it is not one (another format, corrupt).
    pub fn decode(bytes: &[u8]) -> Option<Entry> {
        serde_json::from_slice::<Entry>(bytes)
            .ok()
            .filter(|e| e.format == FORMAT)
    }

    /// Whether it is still fresh at `now_ms`.
    pub fn fresh(&self, now_ms: i64) -> bool {
        self.expires_ms > now_ms
    }

    /// The `tier` as the static label the answer carries.
    pub fn tier_label(&self) -> &'static str {
        match self.tier.as_str() {
            "cheap" => "cheap",
            "premium" => "premium",
            "offline" => "offline",
            _ => "mid",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn entries_round_trip_and_other_formats_are_misses() {
        let e = Entry {
            format: FORMAT,
            key: "k".into(),
            intent: "educational".into(),
            model: "gpt-4o".into(),
            tier: "mid".into(),
            text: "RSI is…".into(),
            events: vec![
                Recorded::Content {
                    text: "RSI ".into(),
                },
                Recorded::Command {
                    legacy: "LOAD:TSLA".into(),
                },
            ],
            prompt_tokens: 10,
            completion_tokens: 5,
            cost_usd: 0.01,
            created_ms: 1,
            expires_ms: 2,
        };
        assert_eq!(Entry::decode(&e.encode()).unwrap(), e);
        let mut old = e.clone();
        old.format = 0;
        assert!(Entry::decode(&old.encode()).is_none());
        assert!(Entry::decode(b"{not json").is_none());
        assert!(e.fresh(1) && !e.fresh(2));
    }
}
