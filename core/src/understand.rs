//! Request understanding (spec §7): intent and chart commands from plain text. Being written.

use crate::command::Command;
use serde::Serialize;

/// What the user wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    ChartCommand,
    PriceOnly,
    TechnicalAnalysis,
    NewsSummary,
    MarketOverview,
    Educational,
    GeneralQuery,
}

/// Intent and commands understood from a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Understanding {
    pub intent: Intent,
    pub commands: Vec<Command>,
    pub legacy: Vec<String>,
}

/// Understands a plain-text request.
pub fn understand(_text: &str) -> Understanding {
    Understanding {
        intent: Intent::GeneralQuery,
        commands: Vec::new(),
        legacy: Vec::new(),
    }
}
