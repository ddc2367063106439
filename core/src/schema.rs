//! JSON Schema of the command list, shaped for OpenAI strict structured outputs.
//!
//! The schema is derived by `schemars` from the same types that validation produces, then made
//! strict: every object closes (`additionalProperties: false`) and lists all its properties as
//! required (optional ones are nullable), `oneOf` becomes `anyOf`, `const` becomes a one-value
//! `enum`, and `format` hints are dropped. Tool-call arguments still go through validation.
//! `raw` is not offered to models (spec §3): its branch and definition are taken out.

#[cfg(test)]
use crate::command::Command;
use crate::command::CommandKind;
use schemars::transform::{transform_subschemas, Transform};
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// A flattened enum (`Drawing`) comes out as an object with its own `properties` beside an
/// `anyOf` of closed objects. Closed objects cannot be combined that way, so the outer properties
/// move into every branch and the outer object keeps only the `anyOf`.
fn hoist_into_branches(obj: &mut serde_json::Map<String, Value>) {
    let branches_are_objects = matches!(obj.get("anyOf"), Some(Value::Array(b)) if b.iter().all(|x| x.get("properties").is_some()));
    if !branches_are_objects {
        return;
    }
    let Some(Value::Object(outer)) = obj.remove("properties") else {
        return;
    };
    obj.remove("required");
    obj.remove("additionalProperties");
    obj.remove("type");
    if let Some(Value::Array(branches)) = obj.get_mut("anyOf") {
        for branch in branches {
            if let Some(Value::Object(props)) = branch.get_mut("properties") {
                for (k, v) in &outer {
                    props.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// Name of the tool handed to the model.
pub const TOOL_NAME: &str = "chart_commands";

/// Arguments of the `chart_commands` tool: the commands the chart should execute.
#[derive(JsonSchema)]
#[allow(dead_code)] // only its schema is used
struct ChartCommandsArgs {
    /// Chart commands, in the order they should run.
    commands: Vec<CommandKind>,
}

struct Strict;

impl Transform for Strict {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("format");
            if let Some(one_of) = obj.remove("oneOf") {
                obj.insert("anyOf".into(), one_of);
            }
            if let Some(c) = obj.remove("const") {
                obj.insert("enum".into(), Value::Array(vec![c]));
            }
            hoist_into_branches(obj);
            if let Some(Value::Object(props)) = obj.get("properties") {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                obj.insert("required".into(), Value::Array(keys));
                obj.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        transform_subschemas(self, schema);
    }
}

/// The JSON Schema of `{"commands": [...]}`, ready to be the `parameters` of a strict tool.
pub fn chart_command_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.root_schema_for::<ChartCommandsArgs>();
    Strict.transform(&mut schema);
    let mut value = schema.to_value();
    drop_raw(&mut value);
    value
}

/// Takes the `raw` branch out of `CommandKind` and its payload out of `$defs`: a model has no
/// business passing strings through unchecked (validation still rejects what it might send).
fn drop_raw(schema: &mut Value) {
    let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else {
        return;
    };
    defs.remove("Raw");
    if let Some(Value::Array(branches)) =
        defs.get_mut("CommandKind").and_then(|k| k.get_mut("anyOf"))
    {
        branches.retain(|b| b["properties"]["type"]["enum"] != serde_json::json!(["raw"]));
    }
}

/// The full OpenAI tool definition (`{"type":"function","function":{…,"strict":true}}`).
pub fn chart_commands_tool() -> Value {
    serde_json::json!({
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Drive the user's trading chart: load a symbol, change the timeframe, toggle indicators, draw levels, zoom, reset, change the chart style.",
            "strict": true,
            "parameters": chart_command_schema(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(v: &Value, path: &str, problems: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for banned in ["oneOf", "allOf", "const", "format"] {
                    if m.contains_key(banned) {
                        problems.push(format!("{path}: has {banned}"));
                    }
                }
                if let Some(Value::Object(props)) = m.get("properties") {
                    if m.get("additionalProperties") != Some(&Value::Bool(false)) {
                        problems.push(format!("{path}: object not closed"));
                    }
                    let required: Vec<&str> = m
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    for k in props.keys() {
                        if !required.contains(&k.as_str()) {
                            problems.push(format!("{path}: property {k} not required"));
                        }
                    }
                }
                for (k, child) in m {
                    walk(child, &format!("{path}/{k}"), problems);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), problems);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn schema_is_strict_mode_compatible() {
        let schema = chart_command_schema();
        let mut problems = Vec::new();
        walk(&schema, "", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["commands"]));
        let branches = schema["$defs"]["CommandKind"]["anyOf"]
            .as_array()
            .map(Vec::len);
        // Every type but `raw`.
        assert_eq!(branches, Some(CommandKind::TYPES.len() - 1));
        let text = schema.to_string();
        assert!(!text.contains("\"raw\""), "raw is offered: {text}");
        assert!(!text.contains("Raw"), "raw's payload is defined: {text}");
        assert!(text.contains("\"load\""));
    }

    #[test]
    fn what_a_strict_model_sends_passes_validation() {
        // Strict mode makes every optional field present and null.
        let args = json!({"commands": [
            {"type": "load", "payload": {"symbol": "TSLA", "asset_type": null}},
            {"type": "timeframe", "payload": {"value": "1W"}},
            {"type": "indicator", "payload": {"name": "SMA", "enabled": true, "params": {"period": 50}}},
            {"type": "indicator", "payload": {"name": "RSI", "enabled": true, "params": null}},
            {"type": "drawing", "payload": {"style": "support", "price": 430, "pattern_id": null}},
            {"type": "drawing", "payload": {"style": "trendline", "start_price": 410, "end_price": 440, "start_time": null, "end_time": null, "pattern_id": null}},
            {"type": "zoom", "payload": {"direction": "in", "amount": null}},
            {"type": "pattern", "payload": {"pattern_type": "double_top", "pattern_id": null, "status": null, "start_candle": null, "end_candle": null}},
            {"type": "clear", "payload": {"target": "drawings", "pattern_id": null}}
        ]});
        let out = crate::validate_commands(&args["commands"]);
        assert!(out.issues.is_empty(), "{:?}", out.issues);
        let legacy: Vec<&str> = out.commands.iter().map(Command::legacy).collect();
        assert_eq!(
            legacy,
            [
                "LOAD:TSLA",
                "TIMEFRAME:1W",
                "INDICATOR:SMA:ON:50",
                "INDICATOR:RSI:ON",
                "SUPPORT:430",
                "TRENDLINE:410:440",
                "ZOOM:IN",
                "PATTERN:DOUBLE_TOP",
                "CLEAR:DRAWINGS"
            ]
        );
    }

    #[test]
    fn tool_definition_is_named_and_strict() {
        let tool = chart_commands_tool();
        assert_eq!(tool["function"]["name"], TOOL_NAME);
        assert_eq!(tool["function"]["strict"], true);
        assert_eq!(tool["function"]["parameters"], chart_command_schema());
    }
}
