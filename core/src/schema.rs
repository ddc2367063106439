//! JSON Schema of the command list, shaped for OpenAI strict structured outputs.
//!
//! The schema is derived by `schemars` from the same types that validation produces, then made
//! strict: every object closes (`additionalProperties: false`) and lists all its properties as
//! required (optional ones are nullable), `oneOf` becomes `anyOf`, `const` becomes a one-value
//! `enum`, and `format` hints are dropped. Tool-call arguments still go through validation.

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
    schema.to_value()
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
