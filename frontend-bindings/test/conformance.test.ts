/**
 * Every vector of tests/vectors through core's own `run_vector` and `subset_match`, compiled to
 * wasm (the `pkg-conformance` build: the shipped build plus two test-only exports), in node.
 * The JSON text wasm prints must equal the native result byte for byte.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bindingsDir, loadVectors, nativeResultCount } from "./helpers.js";

interface ConformanceModule {
  initSync(module: { module: BufferSource }): unknown;
  conformanceRunVector(area: string, inputJson: string): string;
  conformanceSubsetMatch(expectJson: string, actualJson: string): string | undefined;
}

test("wasm run_vector output is byte-identical to native for every vector", async () => {
  const dir = join(bindingsDir, "pkg-conformance");
  const m = (await import(join(dir, "chartgate_wasm.js"))) as ConformanceModule;
  m.initSync({ module: readFileSync(join(dir, "chartgate_wasm_bg.wasm")) });

  const vectors = loadVectors();
  assert.ok(vectors.length >= 250, `only ${vectors.length} vectors`);
  assert.equal(vectors.length, nativeResultCount(), "vector files and native-results.json disagree");
  const failures: string[] = [];
  for (const v of vectors) {
    const text = m.conformanceRunVector(v.area, v.inputText);
    const mismatch = m.conformanceSubsetMatch(v.expectText, text);
    if (mismatch !== undefined) failures.push(`${v.id} (${v.description}): ${mismatch}`);
    if (text !== v.native) failures.push(`${v.id}: bytes differ\n  wasm:   ${text}\n  native: ${v.native}`);
  }
  assert.deepEqual(failures, [], `${failures.length} failures over ${vectors.length} vectors`);
});
