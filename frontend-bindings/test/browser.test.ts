/**
 * The package in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * - a static page served on 127.0.0.1 imports it by name through an import map (plain ESM),
 *   awaits `init()` and normalizes a payload; the vectors with a one-call export then run in the
 *   page and must give the native values (both sides through JSON.parse, keys sorted);
 * - production builds of a tiny app importing it by name, by Vite and by webpack 5 (no plugin, no
 *   special config), load and work (the bundler path).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { jsExact, launchChromium, loadVectors, serveStatic, sortedJson, testDir, type Vector } from "./helpers.js";

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test("plain ESM page: init, normalize, exotic throws, understand loaded on first use, vectors give the native values", async () => {
  const server = await serveStatic(testDir);
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const wasmLoads: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith(".wasm")) wasmLoads.push(r.url().split("/").pop() ?? "");
    });
    await page.goto(`${server.url}/fixtures/page.html`);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    const out = JSON.parse((await page.textContent("#out")) ?? "null");
    assert.deepEqual(out.legacy, ["LOAD:TSLA", "INDICATOR:RSI:ON"]);
    assert.deepEqual(
      out.commands.map((c: { legacy: string }) => c.legacy),
      ["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:RSI:ON"],
    );
    assert.equal(out.responseText, "Here is Tesla on the weekly.");
    assert.equal(out.source, "mixed");

    // Errors in the browser are ChartgateErrors too.
    const err = await page.evaluate(() => {
      const cg = (window as unknown as { chartgate: typeof import("@chartgate/chart-commands") }).chartgate;
      const cyclic: unknown[] = ["LOAD:TSLA"];
      cyclic.push(cyclic);
      try {
        cg.normalizeChartCommandPayload({ chart_commands: cyclic });
        return null;
      } catch (e) {
        return cg.isChartgateError(e) ? [e.code, e.path] : String(e);
      }
    });
    assert.deepEqual(err, ["invalid_type", []]);
    // Exotic throws (revoked Proxies, throwing traps) too, over a thousand calls, and the module
    // keeps answering.
    const exotic = await page.evaluate(() => {
      const cg = (window as unknown as { chartgate: typeof import("@chartgate/chart-commands") }).chartgate;
      const revoked = () => {
        const r = Proxy.revocable({}, {});
        r.revoke();
        return r.proxy;
      };
      const trap = () => {
        throw revoked();
      };
      const hostile = new Proxy({}, { get: trap, getOwnPropertyDescriptor: trap, ownKeys: trap, getPrototypeOf: trap });
      const throwing = (v: unknown) =>
        Object.defineProperty({}, "chart_commands", {
          enumerable: true,
          get() {
            throw v;
          },
        });
      const codes = new Set<string>();
      for (let i = 0; i < 300; i++) {
        for (const v of [revoked(), hostile, throwing(revoked()), throwing(hostile)]) {
          try {
            cg.normalizeChartCommandPayload(v);
            codes.add("no throw");
          } catch (e) {
            codes.add(cg.isChartgateError(e) ? e.code : `escaped: ${typeof e}`);
          }
        }
      }
      return [...codes, ...cg.normalizeChartCommandPayload("LOAD:TSLA").legacy];
    });
    assert.deepEqual(exotic, ["invalid_type", "LOAD:TSLA"]);

    // The understand module is not loaded until a page asks for it.
    assert.deepEqual(wasmLoads, ["chartgate_wasm_bg.wasm"]);
    await page.evaluate(async () => {
      const u = await import("@chartgate/chart-commands/understand" as string);
      await u.init();
      (window as unknown as { understanding: unknown }).understanding = u;
    });
    assert.deepEqual(wasmLoads, ["chartgate_wasm_bg.wasm", "chartgate_understand_bg.wasm"]);

    const vectors = loadVectors().filter(
      (v) => v.native !== undefined && jsExact(v) && ["normalize", "parse", "understand", "tool_stream"].includes(v.area),
    );
    assert.ok(vectors.length >= 200, `only ${vectors.length} vectors`);
    const texts = await page.evaluate((vs: Pick<Vector, "area" | "input">[]) => {
      const cg = (window as unknown as { chartgate: typeof import("@chartgate/chart-commands") }).chartgate;
      const u = (window as unknown as { understanding: typeof import("@chartgate/chart-commands/understand") }).understanding;
      const sorted = (v: unknown) =>
        JSON.stringify(v, (_k, x: unknown) =>
          x && typeof x === "object" && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : x,
        );
      return vs.map(({ area, input }) => {
        const i = input as Record<string, unknown> | null;
        if (area === "normalize")
          return sorted(cg.normalizeChartCommandPayload(i?.["payload"] ?? null, i?.["responseText"] as string, i?.["flags"] as never));
        if (area === "understand") return sorted(u.understand(input as string));
        if (area === "tool_stream") {
          const reader = new cg.ToolCallReader();
          const pushed = (input as { fragments: string[] }).fragments.map((f) => reader.push(f));
          return sorted({ pushed, finished: reader.finish() });
        }
        const p = cg.parseLegacyCommand(input as string);
        return sorted({ legacy: p.commands.map((c) => c.legacy), commands: p.commands, issues: p.issues });
      });
    }, vectors.map(({ area, input }) => ({ area, input })));
    const failures = vectors
      .map((v, k) => ({ v, text: texts[k], native: sortedJson(JSON.parse(v.native ?? "null")) }))
      .filter(({ text, native }) => text !== native)
      .map(({ v, text, native }) => `${v.id}:\n  chromium: ${text}\n  native:   ${native}`);
    assert.deepEqual(failures, [], `${failures.length} of ${vectors.length} differ in Chromium`);
    await page.close();
  } finally {
    await server.close();
  }
});

/** Serves `dir`, opens `index.html` in Chromium, waits for the app, and checks what it printed. */
async function checkBundledApp(dir: string): Promise<void> {
  const server = await serveStatic(dir);
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    const out = JSON.parse((await page.textContent("#out")) ?? "null");
    assert.deepEqual(out, { legacy: ["LOAD:NVDA", "TIMEFRAME:4H", "SUPPORT:430"], timeframes: 24, understood: ["LOAD:NVDA"] });
    await page.close();
  } finally {
    await server.close();
  }
}

test("Vite production build of an app importing the package works in Chromium", async () => {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "chartgate-vite-"));
  try {
    await build({
      root: join(testDir, "fixtures", "bundler-app"),
      logLevel: "warn",
      configFile: false,
      build: { outDir, emptyOutDir: true, target: "es2022" },
    });
    await checkBundledApp(outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("webpack 5 production build of the same app works in Chromium", async () => {
  const { default: webpack } = await import("webpack");
  const outDir = mkdtempSync(join(tmpdir(), "chartgate-webpack-"));
  try {
    const compiler = webpack({
      mode: "production",
      context: join(testDir, "fixtures", "bundler-app"),
      entry: "./main.js",
      output: { path: outDir, filename: "main.js", clean: true },
      infrastructureLogging: { level: "warn" },
    });
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) =>
      compiler.run((err, s) => (err || !s ? reject(err ?? new Error("no stats")) : resolve(s))),
    );
    await new Promise<void>((resolve) => compiler.close(() => resolve()));
    assert.equal(stats.hasErrors(), false, stats.toString({ all: false, errors: true }));
    // webpack emits `new URL("…wasm", import.meta.url)` as an asset of its own.
    const wasms = readdirSync(outDir).filter((f) => f.endsWith(".wasm"));
    assert.equal(wasms.length, 2, `not both modules' .wasm emitted: ${readdirSync(outDir).join(", ")}`);
    writeFileSync(
      join(outDir, "index.html"),
      '<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="out"></pre><script src="./main.js"></script></body></html>',
    );
    await checkBundledApp(outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
