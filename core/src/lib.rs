//! chartgate-core: the one authority on chart commands.
//!
//! Owns the vocabularies, legacy parsing and canonical formatting, the structured command types,
//! validation, `normalize_chart_command_payload`, chart objects v2, request understanding and the
//! JSON Schema handed to models. Pure functions only: no I/O, no clock, no randomness, no env.
//! The server (native) and the browser (wasm) both call this crate; neither re-implements it.

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
pub mod understand;
pub mod validate;
pub mod vocab;

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
pub use understand::{understand, Intent, Understanding};
pub use validate::decode_command;

/// Validates one model tool call: `name` must be [`schema::TOOL_NAME`] and `arguments` the JSON
/// text `{"commands": [...]}` of the tool's schema. The commands are validated as by
/// [`validate_commands`] (issue paths start with the command's index); a call with another name,
/// arguments that are not JSON, or no `commands` field yields no commands and one error issue at
/// `["name"]`, `["arguments"]` or `["arguments", "commands"]`.
pub fn validate_tool_call(name: &str, arguments: &str) -> Parsed {
    let fail = |code, path: &[&str], message: String| Parsed {
        commands: Vec::new(),
        issues: vec![validate::at(path, code, message)],
    };
    if name != schema::TOOL_NAME {
        return fail(
            IssueCode::UnknownCommandType,
            &["name"],
            format!(
                "unknown tool {:?}; only {:?} carries chart commands",
                issue::excerpt(name),
                schema::TOOL_NAME
            ),
        );
    }
    let args: serde_json::Value = match serde_json::from_str(arguments) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                IssueCode::InvalidType,
                &["arguments"],
                format!("arguments are not JSON: {e}"),
            )
        }
    };
    match args.get("commands") {
        Some(list) => validate_commands(list),
        None => fail(
            IssueCode::MissingField,
            &["arguments", "commands"],
            "arguments have no commands field".to_owned(),
        ),
    }
}

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
    issue::cap_issues(&mut out.issues);
    out
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
    }
}
