//! Shaping an answer's chart commands by the caller's two flags, the one place that decides which
//! of the three shapes an answer carries (the server's answers, and the browser through wasm).
//!
//! Owns: `chart_commands` emptied under structured-first, `chart_objects` only when enabled.
//! Must not: validate, deduplicate or reorder: callers pass commands that are already valid and in
//! execution order ([`crate::execution_list`]).

use crate::command::Command;
use crate::objects::{build_chart_objects, ChartObjects};
use serde::Serialize;

/// An answer's chart commands in the shapes the flags ask for (snake_case on the wire, as in the
/// server's answers).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ShapedAnswer {
    /// Canonical legacy strings; empty under structured-first (`PREFER_STRUCTURED_CHART_COMMANDS`).
    pub chart_commands: Vec<String>,
    /// The commands themselves, always.
    pub chart_commands_structured: Vec<Command>,
    /// Chart objects v2, only when `ENABLE_STRUCTURED_CHART_OBJECTS` is on; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", tsify(optional))]
    pub chart_objects: Option<ChartObjects>,
}

/// Shapes `commands` (valid, in execution order) by the two flags: under `prefer_structured` the
/// legacy list is empty, and `chart_objects` is built only when `structured_objects` is on.
pub fn shape_answer(
    commands: &[Command],
    prefer_structured: bool,
    structured_objects: bool,
) -> ShapedAnswer {
    let chart_commands = if prefer_structured {
        Vec::new()
    } else {
        commands.iter().map(|c| c.legacy().to_owned()).collect()
    };
    ShapedAnswer {
        chart_commands,
        chart_commands_structured: commands.to_vec(),
        chart_objects: structured_objects.then(|| build_chart_objects(commands)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands() -> Vec<Command> {
        crate::parse_legacy("LOAD:TSLA TIMEFRAME:1W SUPPORT:430").commands
    }

    #[test]
    fn hybrid_answers_carry_legacy_strings_and_no_objects() {
        let a = shape_answer(&commands(), false, false);
        assert_eq!(
            a.chart_commands,
            ["LOAD:TSLA", "TIMEFRAME:1W", "SUPPORT:430"]
        );
        assert_eq!(a.chart_commands_structured, commands());
        assert_eq!(a.chart_objects, None);
        let text = serde_json::to_string(&a).expect("serializes");
        assert!(!text.contains("chart_objects"), "{text}");
    }

    #[test]
    fn structured_first_empties_the_legacy_list() {
        let a = shape_answer(&commands(), true, false);
        assert!(a.chart_commands.is_empty());
        assert_eq!(a.chart_commands_structured.len(), 3);
        assert_eq!(a.chart_objects, None);
    }

    #[test]
    fn objects_only_when_enabled_and_built_from_the_commands() {
        let a = shape_answer(&commands(), true, true);
        let objects = a.chart_objects.expect("objects enabled");
        assert_eq!(objects, build_chart_objects(&commands()));
        assert_eq!(objects.symbol.as_deref(), Some("TSLA"));
        let b = shape_answer(&commands(), false, true);
        assert_eq!(b.chart_commands.len(), 3);
        assert!(b.chart_objects.is_some());
    }

    #[test]
    fn no_commands_shape_to_empty_lists() {
        let a = shape_answer(&[], false, true);
        assert!(a.chart_commands.is_empty() && a.chart_commands_structured.is_empty());
        let objects = a.chart_objects.expect("objects enabled");
        assert!(objects.commands.is_empty());
    }
}
