/**
 * The package as published: what `npm pack` put in it, the manifest fields bundlers and node read,
 * the generated .d.ts against its committed snapshot, and the browser entry (`dist/index.js`)
 * used the way a web app does (init before use).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bindingsDir, installedDir } from "./helpers.js";

function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

test("manifest: exports, types, sideEffects, files, engines", () => {
  const pkg = JSON.parse(readFileSync(join(installedDir, "package.json"), "utf8"));
  assert.equal(pkg.type, "module");
  assert.equal(pkg.sideEffects, false);
  assert.equal(pkg.types, "./dist/index.d.ts");
  assert.deepEqual(pkg.exports["."], { types: "./dist/index.d.ts", node: "./dist/node.js", default: "./dist/index.js" });
  assert.deepEqual(pkg.exports["./understand"], {
    types: "./dist/understand.d.ts",
    node: "./dist/understand-node.js",
    default: "./dist/understand.js",
  });
  assert.equal(pkg.engines.node, ">=20");
  const files = filesUnder(installedDir).sort();
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/node.js", "dist/api.js", "pkg/chartgate_wasm.js", "pkg/chartgate_wasm_bg.wasm", "pkg/chartgate_wasm.d.ts", "dist/understand.js", "dist/understand.d.ts", "dist/understand-node.js", "pkg-understand/chartgate_understand.js", "pkg-understand/chartgate_understand_bg.wasm", "pkg-understand/chartgate_understand.d.ts", "README.md", "package.json"]) {
    assert.ok(files.includes(f), `${f} missing from the package`);
  }
  assert.ok(files.some((f) => f.startsWith("pkg/snippets/") && f.endsWith(".js")), "wasm-bindgen snippet missing");
  const unexpected = files.filter((f) => !/^(dist|pkg|pkg-understand)\/|^README\.md$|^package\.json$/.test(f));
  assert.deepEqual(unexpected, [], "only dist/, pkg/, pkg-understand/, README.md and package.json ship");
  assert.ok(!files.some((f) => f.startsWith("pkg") && (f.endsWith("package.json") || f.endsWith(".gitignore"))));
});

test("the shipped .d.ts files equal the committed snapshots (regenerate with npm run snapshot:update)", () => {
  for (const [dir, name] of [["pkg", "chartgate_wasm"], ["pkg-understand", "chartgate_understand"]]) {
    const shipped = readFileSync(join(installedDir, dir!, `${name}.d.ts`), "utf8");
    const snapshot = readFileSync(join(bindingsDir, "types", `${name}.d.ts`), "utf8");
    assert.ok(shipped === snapshot, `generated .d.ts drifted from types/${name}.d.ts`);
    assert.ok(!shipped.includes("conformance"), "test-only exports leaked into the shipped build");
  }
  const eager = readFileSync(join(installedDir, "pkg", "chartgate_wasm.d.ts"), "utf8");
  assert.ok(!/export function understand\b/.test(eager), "understand is the understand module's");
});

test("browser entry: throws not_initialized before init, works after initSync", async () => {
  const web = (await import(join(installedDir, "dist", "index.js"))) as typeof import("@chartgate/chart-commands");
  assert.equal(web.isReady(), false);
  assert.throws(
    () => web.normalizeChartCommandPayload("LOAD:TSLA"),
    (e: unknown) => web.isChartgateError(e) && e.code === "not_initialized",
  );
  web.initSync(readFileSync(join(installedDir, "pkg", "chartgate_wasm_bg.wasm")));
  assert.equal(web.isReady(), true);
  await web.init(); // idempotent after initSync
  assert.deepEqual(web.normalizeChartCommandPayload("LOAD:TSLA").legacy, ["LOAD:TSLA"]);
});

test("understand browser entry: its own init, not_initialized before it", async () => {
  const web = (await import(join(installedDir, "dist", "understand.js"))) as typeof import("@chartgate/chart-commands/understand");
  assert.equal(web.isReady(), false);
  assert.throws(
    () => web.understand("load TSLA"),
    (e: unknown) => web.isChartgateError(e) && e.code === "not_initialized",
  );
  web.initSync(readFileSync(join(installedDir, "pkg-understand", "chartgate_understand_bg.wasm")));
  assert.equal(web.isReady(), true);
  assert.ok(web.understand("load TSLA").legacy.includes("LOAD:TSLA"));
});
