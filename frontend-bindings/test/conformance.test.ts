/**
 * Every vector of tests/vectors through core's own `run_vector` and `subset_match`, compiled to
 * wasm, in node: understanding vectors in the understand module (`pkg-understand-conformance`),
 * every other one in the eager module (`pkg-conformance`); each is the shipped build plus the
 * test-only exports. The JSON text wasm prints must equal the native result byte for byte.
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

async function load(dir: string, name: string): Promise<ConformanceModule> {
  const m = (await import(join(bindingsDir, dir, `${name}.js`))) as ConformanceModule;
  m.initSync({ module: readFileSync(join(bindingsDir, dir, `${name}_bg.wasm`)) });
  return m;
}

test("wasm run_vector output is byte-identical to native for every vector", async () => {
  const m = await load("pkg-conformance", "chartgate_wasm");
  const u = await load("pkg-understand-conformance", "chartgate_understand");

  const vectors = loadVectors();
  assert.ok(vectors.length >= 250, `only ${vectors.length} vectors`);
  assert.equal(vectors.length, nativeResultCount(), "vector files and native-results.json disagree");
  const failures: string[] = [];
  for (const v of vectors) {
    const text = (v.area === "understand" ? u : m).conformanceRunVector(v.area, v.inputText);
    const mismatch = m.conformanceSubsetMatch(v.expectText, text);
    if (mismatch !== undefined) failures.push(`${v.id} (${v.description}): ${mismatch}`);
    if (text !== v.native) failures.push(`${v.id}: bytes differ\n  wasm:   ${text}\n  native: ${v.native}`);
  }
  assert.deepEqual(failures, [], `${failures.length} failures over ${vectors.length} vectors`);
});
