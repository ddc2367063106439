//! chartgate-core: the one authority on chart commands.
//!
//! Owns the vocabularies, legacy parsing and canonical formatting, the structured command types,
//! validation, `normalize_chart_command_payload`, chart objects v2, request understanding and the
//! JSON Schema handed to models. Pure functions only: no I/O, no clock, no randomness, no env.
//! The server (native) and the browser (wasm) both call this crate; neither re-implements it.

pub mod command;
#[doc(hidden)]
pub mod conformance;
pub mod issue;
pub mod legacy;
pub mod normalize;
pub mod num;
pub mod objects;
pub mod schema;
pub mod understand;
pub mod validate;
pub mod vocab;

pub use command::{Command, CommandKind};
pub use issue::{Issue, IssueCode, PathSegment, Severity};
pub use legacy::{parse_legacy, parse_legacy_list, Parsed};
pub use normalize::{
    execution_list, normalize_chart_command_payload, Mode, NormalizeFlags, Normalized, Source,
    MAX_COMMANDS,
};
pub use objects::{build_chart_objects, decode_chart_objects, ChartObjects};
pub use schema::{chart_command_schema, chart_commands_tool};
pub use understand::{understand, Intent, Understanding};
pub use validate::decode_command;

/// Validates a list of structured commands (JSON), returning the valid ones and every issue.
/// Issue paths start with the command's index.
pub fn validate_commands(list: &serde_json::Value) -> Parsed {
    let mut out = Parsed::default();
    let items: &[serde_json::Value] = match list {
        serde_json::Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
    for (i, item) in items.iter().take(MAX_COMMANDS).enumerate() {
        let d = decode_command(item);
        out.issues.extend(
            d.issues
                .into_iter()
                .map(|x| x.prefixed(&[PathSegment::Index(i)])),
        );
        out.commands.extend(d.command);
    }
    if items.len() > MAX_COMMANDS {
        out.issues.push(Issue::error(
            IssueCode::TooManyCommands,
            vec![],
            format!(
                "{} commands; only the first {MAX_COMMANDS} were processed",
                items.len()
            ),
        ));
    }
    out
}
