//! Build-time outputs of core, computed natively (build scripts always run on the host).
//!
//! `$OUT_DIR/schema.json`: core's `chart_command_schema()`. The export `chartCommandSchema` returns
//! it, so schemars (about a fifth of the module) stays out of the wasm; the JSON is the same
//! function's output, just computed earlier. A native unit test re-checks it against core.
//!
//! `$OUT_DIR/timeframes.json`, `$OUT_DIR/indicators.json`: the vocabularies `timeframes()` and
//! `indicators()` return, printed by the same `serde_json` from the same `ALL` lists, so the module
//! carries two strings instead of a serializer for each list (the same native test re-checks them).
//!
//! `$OUT_DIR/vectors.json`, for the wasm test runners, which have no filesystem: reads every `tests/vectors/<area>/*.json` — the file
//! list is discovered, never maintained by hand — and writes `$OUT_DIR/vectors.json`:
//! `[{"id", "area", "input", "expect", "native"}]` where `native` is the entry of
//! `tests/vectors/native-results.json` re-serialized compactly by *native* `serde_json`.
//! The wasm tests compare their own output text against that string byte for byte, so a
//! difference between the native and the wasm build of core (or of serde_json) is a failure.
//! Only the tests read this file; the library does not.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn main() {
    // Read at run time: `env!` would bake in the path of whichever checkout compiled this script,
    // and cargo reuses the compiled script across checkouts sharing a target directory.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let vectors = Path::new(&manifest_dir).join("../tests/vectors");
    println!("cargo:rerun-if-changed={}", vectors.display());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let schema = serde_json::to_string(&chartgate_core::chart_command_schema())
        .expect("JSON values serialize");
    std::fs::write(out_dir.join("schema.json"), schema).expect("OUT_DIR is writable");
    let timeframes = serde_json::to_string(chartgate_core::vocab::Timeframe::ALL)
        .expect("vocabularies serialize");
    std::fs::write(out_dir.join("timeframes.json"), timeframes).expect("OUT_DIR is writable");
    let indicators = serde_json::to_string(chartgate_core::vocab::IndicatorName::ALL)
        .expect("vocabularies serialize");
    std::fs::write(out_dir.join("indicators.json"), indicators).expect("OUT_DIR is writable");
    let embedded = match collect(&vectors) {
        Ok(v) => v,
        Err(e) => panic!("cannot embed {}: {e}", vectors.display()),
    };
    let text = serde_json::to_string(&embedded).expect("JSON values serialize");
    std::fs::write(out_dir.join("vectors.json"), text).expect("OUT_DIR is writable");
}

fn collect(dir: &Path) -> Result<Value, String> {
    let results_path = dir.join("native-results.json");
    println!("cargo:rerun-if-changed={}", results_path.display());
    let results_text = std::fs::read_to_string(&results_path)
        .map_err(|e| format!("{}: {e}", results_path.display()))?;
    let results: BTreeMap<String, Value> = serde_json::from_str(&results_text)
        .map_err(|e| format!("{}: {e}", results_path.display()))?;

    let mut areas: Vec<PathBuf> = read_dir(dir)?.into_iter().filter(|p| p.is_dir()).collect();
    areas.sort();
    let mut out = Vec::new();
    for area in areas {
        println!("cargo:rerun-if-changed={}", area.display());
        let area_name = file_name(&area);
        let mut files: Vec<PathBuf> = read_dir(&area)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let list: Vec<Value> =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (i, v) in list.into_iter().enumerate() {
                let id = format!("{area_name}/{stem}#{i}");
                // A vector without a native result is embedded with `native: null`; the wasm test
                // reports it as a failure (the native results file is stale).
                let native = results
                    .get(&id)
                    .map(|r| serde_json::to_string(r).expect("JSON values serialize"));
                out.push(json!({
                    "id": id,
                    "area": area_name,
                    "description": v.get("description").cloned().unwrap_or(Value::Null),
                    "input": v.get("input").cloned().unwrap_or(Value::Null),
                    "expect": v.get("expect").cloned().unwrap_or(Value::Null),
                    "native": native,
                }));
            }
        }
    }
    Ok(Value::Array(out))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(entries.flatten().map(|e| e.path()).collect())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
