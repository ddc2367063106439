//! The conformance-vector dispatcher shared by every runner (native tests, wasm in node, wasm in
//! Chromium), so all of them compute a vector's output with the same code.
//!
//! A vector is `{"description", "input", "expect"}` in `tests/vectors/<area>/*.json`.
//! `expect` is matched as a subset: every key it names must match; arrays match element-wise and
//! must have the same length; scalars match exactly.

use serde_json::{json, Value};

/// Computes the output of a vector of `area` (`parse`, `format`, `normalize`, `understand`, `objects`,
/// `tool_stream`: what each of `input.fragments` yielded when pushed, then what `finish` added).
pub fn run_vector(area: &str, input: &Value) -> Result<Value, String> {
    let out = match area {
        "parse" => {
            let s = input.as_str().ok_or("parse input must be a string")?;
            let p = crate::parse_legacy(s);
            json!({
                "legacy": p.commands.iter().map(|c| c.legacy()).collect::<Vec<_>>(),
                "commands": p.commands,
                "issues": p.issues,
            })
        }
        "format" => {
            let d = crate::decode_command(input);
            json!({
                "legacy": d.command.as_ref().map(|c| c.legacy()),
                "command": d.command,
                "issues": d.issues,
            })
        }
        "normalize" => {
            let payload = input.get("payload").unwrap_or(&Value::Null);
            let text = match input.get("responseText") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) => Some(t.as_str()),
                Some(_) => return Err("responseText must be a string or null".to_owned()),
            };
            let flags = input.get("flags").unwrap_or(&Value::Null);
            let out = crate::normalize::normalize_with_json_flags(payload, text, flags)
                .map_err(|e| format!("bad flags: {e}"))?;
            serde_json::to_value(out).map_err(|e| e.to_string())?
        }
        "understand" => {
            let s = input.as_str().ok_or("understand input must be a string")?;
            serde_json::to_value(crate::understand(s)).map_err(|e| e.to_string())?
        }
        "objects" => {
            let list = crate::validate_commands(input);
            json!({ "objects": crate::build_chart_objects(&list.commands), "issues": list.issues })
        }
        "tool_stream" => {
            let fragments = input
                .get("fragments")
                .and_then(Value::as_array)
                .ok_or("tool_stream input must have a fragments array")?;
            let mut reader = crate::ToolCallReader::new();
            let mut pushed = Vec::new();
            for f in fragments {
                let f = f.as_str().ok_or("fragments must be strings")?;
                pushed.push(reader.push(f));
            }
            json!({ "pushed": pushed, "finished": reader.finish() })
        }
        other => return Err(format!("unknown vector area {other:?}")),
    };
    Ok(out)
}

/// Checks that `actual` matches `expect` as a subset; returns the first mismatch's path and reason.
pub fn subset_match(expect: &Value, actual: &Value) -> Result<(), String> {
    fn go(e: &Value, a: &Value, path: &mut Vec<String>) -> Result<(), String> {
        match (e, a) {
            (Value::Object(em), Value::Object(am)) => {
                for (k, ev) in em {
                    path.push(k.clone());
                    match am.get(k) {
                        Some(av) => go(ev, av, path)?,
                        None if ev.is_null() => {}
                        None => return Err(format!("/{}: missing", path.join("/"))),
                    }
                    path.pop();
                }
                Ok(())
            }
            (Value::Array(ea), Value::Array(aa)) => {
                if ea.len() != aa.len() {
                    return Err(format!(
                        "/{}: expected {} items, got {}: {}",
                        path.join("/"),
                        ea.len(),
                        aa.len(),
                        a
                    ));
                }
                for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                    path.push(i.to_string());
                    go(ev, av, path)?;
                    path.pop();
                }
                Ok(())
            }
            (Value::Number(en), Value::Number(an)) if en.as_f64() == an.as_f64() => Ok(()),
            _ if e == a => Ok(()),
            _ => Err(format!("/{}: expected {e}, got {a}", path.join("/"))),
        }
    }
    go(expect, actual, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_match_is_strict_where_it_speaks() {
        assert!(subset_match(
            &json!({"a": [1, {"b": 2}]}),
            &json!({"a": [1, {"b": 2, "c": 3}], "d": 4})
        )
        .is_ok());
        assert!(subset_match(&json!({"a": [1]}), &json!({"a": [1, 2]})).is_err());
        assert!(subset_match(&json!({"a": 1}), &json!({"a": 2})).is_err());
        assert!(subset_match(&json!({"a": 1}), &json!({})).is_err());
        assert!(subset_match(&json!("x"), &json!("y")).is_err());
    }
}
