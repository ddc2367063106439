//! chartgate-core: the one authority on chart commands.
//!
//! Owns the vocabularies, legacy parsing and canonical formatting, the structured command types,
//! validation, `normalize_chart_command_payload`, chart objects v2, request understanding and the
//! JSON Schema handed to models. Pure functions only: no I/O, no clock, no randomness, no env.
//! The server (native) and the browser (wasm) both call this crate; neither re-implements it.

// First: its macro declares the string enums of the modules below.
pub mod answer;
pub mod command;
#[doc(hidden)]
pub mod conformance;
pub mod issue;
pub mod json;
pub mod legacy;
pub mod normalize;
pub mod num;
pub mod objects;
pub mod schema;
pub mod tool_stream;
pub mod understand;
pub mod validate;
pub mod vocab;
pub mod wire_enum;

pub use answer::{shape_answer, ShapedAnswer};
pub use command::{Command, CommandKind};
pub use issue::{Issue, IssueCode, PathSegment, Severity};
pub use legacy::{parse_legacy, parse_legacy_list, Parsed};
pub use normalize::{
    execution_list, normalize_chart_command_payload, Mode, NormalizeFlags, Normalized, Source,
    MAX_COMMANDS,
};
pub use objects::{build_chart_objects, decode_chart_objects, ChartObjects};
pub use schema::{chart_command_schema, chart_commands_tool};
pub use tool_stream::ToolCallReader;
pub use understand::{understand, Intent, Understanding};
pub use validate::decode_command;
pub use wire_enum::WireEnum;

/// Validates one model tool call: `name` must be [`schema::TOOL_NAME`] and `arguments` the JSON
/// text `{"commands": [...]}` of the tool's schema. It is a [`ToolCallReader`] fed the whole text
/// at once, then finished, so a one-shot call and a streamed one give the same answer: each
/// complete element of `commands` is validated as by [`validate_commands`] (issue paths start with
/// the command's index), whatever follows it. A call with another name yields one error issue at
/// `["name"]`; arguments that are not a JSON object, or are cut short, or are followed by other
/// text add one error issue at `["arguments"]` (a command cut short: at its index); an object
/// without a `commands` field yields one error issue at `["arguments", "commands"]`.
pub fn validate_tool_call(name: &str, arguments: &str) -> Parsed {
    if name != schema::TOOL_NAME {
        return Parsed {
            commands: Vec::new(),
            issues: vec![validate::at(
                &["name"],
                IssueCode::UnknownCommandType,
                format!(
                    "unknown tool {:?}; only {:?} carries chart commands",
                    issue::excerpt(name),
                    schema::TOOL_NAME
                ),
            )],
        };
    }
    let mut reader = ToolCallReader::new();
    let mut out = reader.push(arguments);
    tool_stream::extend(&mut out, reader.finish());
    out
}

/// Validates a list of structured commands (JSON), returning the valid ones and every issue.
/// Issue paths start with the command's index.
pub fn validate_commands(list: &serde_json::Value) -> Parsed {
    let mut out = Parsed::default();
    let items: &[serde_json::Value] = match list {
        serde_json::Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
    for (i, item) in items.iter().enumerate() {
        validate_element(i, item, &mut out);
    }
    if items.len() > MAX_COMMANDS {
        out.issues.push(too_many_commands(items.len()));
    }
    issue::cap_issues(&mut out.issues);
    out
}

/// Validates the `index`th element of a command list into `out`: the one per-element step of
/// [`validate_commands`] and [`ToolCallReader`]. Elements past [`MAX_COMMANDS`] are not read; the
/// caller reports them once, after the list, with [`too_many_commands`].
pub(crate) fn validate_element(index: usize, item: &serde_json::Value, out: &mut Parsed) {
    if index >= MAX_COMMANDS {
        return;
    }
    let d = decode_command(item);
    out.issues.extend(
        d.issues
            .into_iter()
            .map(|x| x.prefixed(&[PathSegment::Index(index)])),
    );
    out.commands.extend(d.command);
}

/// The issue for a list of `count` commands, more than [`MAX_COMMANDS`].
pub(crate) fn too_many_commands(count: usize) -> Issue {
    Issue::error(
        IssueCode::TooManyCommands,
        vec![],
        format!("{count} commands; only the first {MAX_COMMANDS} were processed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_and_paths(p: &Parsed) -> Vec<(IssueCode, String)> {
        p.issues
            .iter()
            .map(|i| (i.code, serde_json::to_string(&i.path).unwrap_or_default()))
            .collect()
    }

    #[test]
    fn tool_call_validation() {
        let ok = validate_tool_call(
            schema::TOOL_NAME,
            r#"{"commands":[{"type":"load","payload":{"symbol":"tsla"}},{"type":"nope"}]}"#,
        );
        assert_eq!(ok.commands.len(), 1);
        assert_eq!(ok.commands[0].legacy(), "LOAD:TSLA");
        assert_eq!(
            codes_and_paths(&ok),
            [(IssueCode::UnknownCommandType, r#"[1,"type"]"#.to_owned())]
        );

        let cases = [
            (
                "draw",
                r#"{"commands":[]}"#,
                IssueCode::UnknownCommandType,
                r#"["name"]"#,
            ),
            (
                schema::TOOL_NAME,
                "{not json",
                IssueCode::InvalidType,
                r#"["arguments"]"#,
            ),
            (
                schema::TOOL_NAME,
                r#"{"cmds":[]}"#,
                IssueCode::MissingField,
                r#"["arguments","commands"]"#,
            ),
        ];
        for (name, args, code, path) in cases {
            let p = validate_tool_call(name, args);
            assert!(p.commands.is_empty(), "{name} {args}");
            assert_eq!(
                codes_and_paths(&p),
                [(code, path.to_owned())],
                "{name} {args}"
            );
            assert!(p.issues[0].is_error());
        }

        // Complete commands survive whatever follows them, as when the call is streamed.
        let load = r#"{"type":"load","payload":{"symbol":"tsla"}}"#;
        let cut_short = [
            (format!(r#"{{"commands":[{load},{{"type":"zo"#), "[1]"),
            (format!(r#"{{"commands":[{load}"#), r#"["arguments"]"#),
            (
                format!(r#"{{"commands":[{load}]}} trailing"#),
                r#"["arguments"]"#,
            ),
        ];
        for (args, path) in cut_short {
            let p = validate_tool_call(schema::TOOL_NAME, &args);
            assert_eq!(p.commands.len(), 1, "{args}");
            assert_eq!(
                codes_and_paths(&p),
                [(IssueCode::InvalidType, path.to_owned())],
                "{args}"
            );
        }
    }
}
