/**
 * The demo page (frontend-bindings/demo, built by Vite from the tree) in headless Chromium
 * (Debian's, via playwright-core), served with a replaying `/api/agent/stream` on one loopback
 * origin: no console errors; the text renders while the answer streams (the server is held before
 * `done`); chart-control answers change the chart's state (`window.__chartgate_demo`); the chart
 * area is not blank. Saves the scripted session's screenshot as docs/demo.png.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { bindingsDir, launchChromium, repoDir } from "./helpers.js";
import { loadTranscripts, startReplayServer, transcript, type Listening } from "./sse.js";

let browser: Browser;
let server: Listening;
let outDir: string;
/** Resolves the gate the replay server waits on before the held event. */
let release: (() => void) | undefined;
let holdBefore: { name: string; index: number } | undefined;

before(async () => {
  const { build } = await import("vite");
  outDir = mkdtempSync(join(tmpdir(), "chartgate-demo-"));
  await build({ configFile: join(bindingsDir, "demo", "vite.config.js"), build: { outDir, emptyOutDir: true } });
  server = await startReplayServer(loadTranscripts(), {
    staticDir: outDir,
    before: (index, t) => {
      if (holdBefore && holdBefore.name === t.name && holdBefore.index === index) {
        holdBefore = undefined;
        return new Promise<void>((ok) => (release = ok));
      }
      return Promise.resolve();
    },
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

interface DemoState {
  ready: boolean;
  busy: boolean;
  connection: string;
  text: string;
  textUpdates: number;
  released: string[];
  answers: { query: string; model?: string; tier?: string; cost_usd?: number; cached?: boolean; normalizer?: string; issues: unknown[] }[];
  chart: {
    symbol: string;
    timeframe: string;
    indicators: { name: string }[];
    lines: { style: string; price: number }[];
    trendlines: unknown[];
    fibonacci: { high: number; low: number }[];
    patterns: { pattern_type?: string }[];
    visibleBars: number | null;
  };
}

const demo = (page: Page) => page.evaluate(() => (window as unknown as { __chartgate_demo: DemoState }).__chartgate_demo);

/** The answers panel's newest row, cell by cell (query, model, tier, cost, cached, normalizer, issues). */
const newestRow = (page: Page) => page.$$eval("#answers tr:first-child td", (tds) => tds.map((td) => td.textContent ?? ""));

/** The connection indicator as the page shows it. */
const indicator = (page: Page) => page.$eval("#connection", (el) => [(el as HTMLElement).dataset["state"], el.textContent]);

/** Presses Tab from `from` until `id` has the focus (at most 10 times): the control is reachable by keyboard. */
async function tabTo(page: Page, from: string, id: string): Promise<void> {
  await page.focus(from);
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
  }
  assert.fail(`#${id} is not reachable with Tab from ${from}`);
}

async function askAndWait(page: Page, query: string): Promise<void> {
  await page.fill("#query", query);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (q) => {
      const s = (window as unknown as { __chartgate_demo: DemoState }).__chartgate_demo;
      return s.answers[0]?.query === q && !s.busy && s.connection === "closed";
    },
    query,
    { timeout: 30_000 },
  );
}

test("the demo page: progressive text, chart commands change the chart, no console errors, screenshot", async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  // Nothing may leave the loopback origin (no fonts, scripts or CDNs).
  const foreign: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) foreign.push(r.url());
  });
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => (window as unknown as { __chartgate_demo?: DemoState }).__chartgate_demo?.ready === true, null, { timeout: 30_000 });
  const initial = await demo(page);
  assert.equal(initial.chart.symbol, "AAPL");
  assert.deepEqual(await indicator(page), ["idle", "idle"]);
  // Nothing in the built page or its styles points off the origin (fonts, scripts, CDNs).
  for (const f of ["index.html", ...readdirSync(join(outDir, "assets")).filter((x) => x.endsWith(".css")).map((x) => `assets/${x}`)]) {
    assert.doesNotMatch(readFileSync(join(outDir, f), "utf8"), /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\/|@import|@font-face/i, f);
  }

  // 1. A model answer held before its done: the text and the commands so far are on the page already.
  const levels = transcript("model-levels-trendline-fibonacci");
  holdBefore = { name: levels.name, index: levels.events.length - 1 };
  await page.focus("#query");
  await page.keyboard.type(levels.request.query);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => (window as unknown as { __chartgate_demo: DemoState }).__chartgate_demo.chart.fibonacci.length === 1,
    null,
    { timeout: 30_000 },
  );
  const mid = await demo(page);
  assert.equal(mid.busy, true, "the answer is still streaming");
  assert.equal(mid.connection, "open");
  assert.deepEqual(await indicator(page), ["open", "open"]);
  assert.deepEqual((await newestRow(page)).slice(1), ["gpt-4o-mini", "cheap", "…", "false", "…", "none"], "metadata's model and tier before done");
  assert.ok(mid.textUpdates >= 5, `text rendered ${mid.textUpdates} times while streaming`);
  assert.match((await page.textContent("#answer")) ?? "", /^TSLA has been ranging .*251\.6\.$/);
  assert.equal(mid.answers[0]?.model, "gpt-4o-mini");
  assert.equal(mid.answers[0]?.cost_usd, undefined, "no cost before done");
  assert.equal(mid.chart.symbol, "TSLA");
  assert.equal(mid.chart.timeframe, "1D");
  assert.deepEqual(mid.chart.lines, [
    { style: "support", price: 230 },
    { style: "resistance", price: 265 },
  ]);
  release!();
  await page.waitForFunction(() => (window as unknown as { __chartgate_demo: DemoState }).__chartgate_demo.busy === false, null, { timeout: 30_000 });
  const done = await demo(page);
  assert.equal(done.connection, "closed");
  assert.deepEqual(await indicator(page), ["closed", "closed"]);
  assert.deepEqual((await newestRow(page)).slice(1), ["gpt-4o-mini", "cheap", "0.000239", "false", "hybrid, structured", "none"]);
  assert.deepEqual(done.answers[0] && [done.answers[0].model, done.answers[0].tier, done.answers[0].cost_usd, done.answers[0].cached], ["gpt-4o-mini", "cheap", 0.0002391, false]);
  assert.equal(done.chart.trendlines.length, 1);
  assert.deepEqual(done.chart.fibonacci, [{ high: 265, low: 230 }]);
  assert.match((await page.textContent("#answers")) ?? "", /gpt-4o-mini.*cheap.*0\.000239/s);

  // 2. The fast path: a new symbol, timeframe and indicator; the old symbol's levels are gone.
  await askAndWait(page, transcript("fast-path-load-timeframe-indicator").request.query);
  const fast = await demo(page);
  assert.equal(fast.chart.symbol, "NVDA");
  assert.equal(fast.chart.timeframe, "1W");
  assert.deepEqual(fast.chart.indicators.map((i) => i.name), ["RSI"]);
  assert.deepEqual(fast.chart.lines, []);

  // 3. An indicator sent before its load: applied after it (the buffer), plus a pattern and a zoom.
  await askAndWait(page, transcript("model-indicator-before-load").request.query);
  const third = await demo(page);
  assert.equal(third.chart.timeframe, "1D");
  assert.deepEqual(third.chart.indicators.map((i) => i.name), ["RSI", "BOLLINGER"]);
  assert.deepEqual(third.chart.patterns.map((p) => p.pattern_type), ["ascending_triangle"]);
  assert.equal(third.chart.visibleBars, 120);
  assert.deepEqual(third.released.slice(-5), ["LOAD:NVDA", "TIMEFRAME:1D", "INDICATOR:BOLLINGER:ON", "PATTERN:ASCENDING_TRIANGLE:40:90", "ZOOM:IN"]);

  // 4. An answer that ends in an error is shown as one and changes nothing.
  await askAndWait(page, transcript("upstream-timeout").request.query);
  const failed = await demo(page);
  assert.deepEqual(failed.chart, third.chart);
  assert.match((await newestRow(page)).at(-1) ?? "", /^error upstream_timeout/);

  // 4b. The flags, toggled from the keyboard: core normalizes the next answer structured-first.
  await tabTo(page, "#query", "flag-structured");
  await page.keyboard.press("Space");
  assert.equal(await page.isChecked("#flag-structured"), true);
  await tabTo(page, "#flag-structured", "flag-objects");
  await page.keyboard.press("Space");
  assert.equal(await page.isChecked("#flag-objects"), true);
  await askAndWait(page, transcript("fast-path-load-timeframe-indicator").request.query);
  const flagged = await demo(page);
  assert.match(flagged.answers[0]?.normalizer ?? "", /^structured_first, /);
  assert.match((await newestRow(page))[5] ?? "", /^structured_first, /);
  assert.equal(flagged.chart.symbol, "NVDA");
  for (const id of ["#flag-structured", "#flag-objects"]) {
    await page.focus(id);
    await page.keyboard.press("Space");
    assert.equal(await page.isChecked(id), false);
  }

  // 5. The levels answer again, for the screenshot: TSLA with its support, resistance, trendline and Fibonacci.
  await askAndWait(page, levels.request.query);
  const last = await demo(page);
  assert.equal(last.chart.symbol, "TSLA");
  assert.equal(last.chart.lines.length, 2);

  // The chart area is drawn: a good share of its canvas pixels are neither blank nor background.
  const inked = await page.evaluate(() => {
    let ink = 0;
    let total = 0;
    for (const canvas of Array.from(document.querySelectorAll<HTMLCanvasElement>("#chart canvas"))) {
      const ctx = canvas.getContext("2d");
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) {
        total++;
        if (data[i + 3]! > 0 && !(data[i]! > 245 && data[i + 1]! > 245 && data[i + 2]! > 245)) ink++;
      }
    }
    return { ink, total };
  });
  assert.ok(inked.total > 0, "no canvas in #chart");
  assert.ok(inked.ink / inked.total > 0.01, `only ${inked.ink} of ${inked.total} chart pixels drawn`);

  await page.screenshot({ path: join(repoDir, "docs", "demo.png"), fullPage: true });
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
  await page.close();
});
