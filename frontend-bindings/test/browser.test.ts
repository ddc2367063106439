/**
 * The package in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * - a static page served on 127.0.0.1 imports it by name through an import map (plain ESM),
 *   awaits `init()` and normalizes a payload; the vectors with a one-call export then run in the
 *   page and must give the native values (both sides through JSON.parse, keys sorted);
 * - a Vite production build of a tiny app importing it by name loads and works (bundler path).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
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

test("plain ESM page: init, normalize, vectors give the native values", async () => {
  const server = await serveStatic(testDir);
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
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
      const cyclic: Record<string, unknown> = {};
      cyclic["self"] = cyclic;
      try {
        cg.normalizeChartCommandPayload(cyclic);
        return null;
      } catch (e) {
        return cg.isChartgateError(e) ? [e.code, e.path] : String(e);
      }
    });
    assert.deepEqual(err, ["invalid_type", []]);

    const vectors = loadVectors().filter(
      (v) => v.native !== undefined && jsExact(v) && ["normalize", "parse", "understand"].includes(v.area),
    );
    assert.ok(vectors.length >= 200, `only ${vectors.length} vectors`);
    const texts = await page.evaluate((vs: Pick<Vector, "area" | "input">[]) => {
      const cg = (window as unknown as { chartgate: typeof import("@chartgate/chart-commands") }).chartgate;
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
        if (area === "understand") return sorted(cg.understand(input as string));
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

test("Vite production build of an app importing the package works in Chromium", async () => {
  const { build } = await import("vite");
  const outDir = mkdtempSync(join(tmpdir(), "chartgate-vite-"));
  try {
    await build({
      root: join(testDir, "fixtures", "vite-app"),
      logLevel: "warn",
      configFile: false,
      build: { outDir, emptyOutDir: true, target: "es2022" },
    });
    const server = await serveStatic(outDir);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, null, { timeout: 30_000 });
      assert.deepEqual(errors, []);
      const out = JSON.parse((await page.textContent("#out")) ?? "null");
      assert.deepEqual(out, { legacy: ["LOAD:NVDA", "TIMEFRAME:4H", "SUPPORT:430"], timeframes: 24 });
      await page.close();
    } finally {
      await server.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
