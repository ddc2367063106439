//! Runs every conformance vector in `tests/vectors/` through core, and checks that the native
//! results file (`tests/vectors/native-results.json`, which the wasm runners compare against
//! byte for byte) is up to date. Regenerate it with `UPDATE_VECTORS=1 cargo test -p chartgate-core --test vectors`.

use chartgate_core::conformance::{run_vector, subset_match};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors")).to_path_buf()
}

fn load_all() -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    let mut areas: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    areas.sort_by_key(|e| e.path());
    for area in areas {
        let area_name = area.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(area.path())
            .expect("area dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("vector file readable");
            let list: Vec<Value> =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            // The wasm module reads JSON with core's reader: it must read every file the same
            // (compared as printed, so the sign of a zero counts).
            let ours = chartgate_core::json::parse(&text).expect("core::json reads it");
            assert_eq!(
                serde_json::to_string(&ours).expect("prints"),
                serde_json::to_string(&list).expect("prints"),
                "{}: core::json::parse differs from serde_json",
                f.display()
            );
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            for (i, v) in list.into_iter().enumerate() {
                out.push((area_name.clone(), format!("{area_name}/{stem}#{i}"), v));
            }
        }
    }
    out
}

#[test]
fn every_vector_matches_its_expectation_and_the_native_results_file() {
    let vectors = load_all();
    assert!(vectors.len() >= 250, "only {} vectors", vectors.len());
    let mut failures = Vec::new();
    let mut results = BTreeMap::new();
    for (area, id, v) in &vectors {
        let desc = v.get("description").and_then(Value::as_str).unwrap_or("");
        assert!(!desc.is_empty(), "{id}: vector has no description");
        let input = v.get("input").unwrap_or(&Value::Null);
        let expect = v.get("expect").unwrap_or_else(|| panic!("{id}: no expect"));
        match run_vector(area, input) {
            Ok(actual) => {
                // The wasm module writes its answers with core's writer.
                assert_eq!(
                    chartgate_core::json::to_string(&actual).expect("writes"),
                    serde_json::to_string(&actual).expect("writes"),
                    "{id}: core::json::to_string differs from serde_json"
                );
                if let Err(e) = subset_match(expect, &actual) {
                    failures.push(format!("{id} ({desc}): {e}"));
                }
                results.insert(id.clone(), actual);
            }
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );

    let path = vectors_dir().join("native-results.json");
    let current = serde_json::to_string_pretty(&results).expect("serializable") + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &current).expect("write native results");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == current, "tests/vectors/native-results.json is stale; run UPDATE_VECTORS=1 cargo test -p chartgate-core --test vectors and review the diff");
}
