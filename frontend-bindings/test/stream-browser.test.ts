/**
 * Exactly-once delivery in a real browser: headless Chromium (Debian's, via playwright-core)
 * loads the demo page from a REAL `chartgate serve` (offline provider: core's fast path answers a
 * chart-control question with 16 events) through a proxy that cuts stream connections at random
 * points (anywhere in the body, mid-event included, or before any answer), and runs STREAMS
 * streams with the page's own `streamAsk` (`window.__chartgate_stream`), six at a time (the
 * browser's per-origin connection limit). A stream counts as delivered when its events are the
 * reference answer's, each exactly once and in order. At least 99.9% must be; the figure is printed.
 *
 * `CHARTGATE_BROWSER_STREAMS` (default 1000) and `CHARTGATE_CUT_SEED` change the run.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { bindingsDir, launchChromium } from "./helpers.js";
import { startChartgate, type Process } from "./server.js";
import { startFaultProxy, type Fault, type FaultProxy } from "./sse.js";

const STREAMS = Number(process.env["CHARTGATE_BROWSER_STREAMS"] ?? 1000);
const SEED = Number(process.env["CHARTGATE_CUT_SEED"] ?? 20261208);
const REQUEST = { query: "show me NVDA on the weekly with RSI", session_id: "browser-cuts" };

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let browser: Browser;
let server: Process;
let proxy: FaultProxy;
let outDir: string;
/** Bytes in one answer's body (the cut points are drawn within it). */
let bodyLength = 0;
const faults = { pass: 0, reset: 0, cutAt: 0 };

before(async () => {
  const { build } = await import("vite");
  outDir = mkdtempSync(join(tmpdir(), "chartgate-demo-"));
  await build({ configFile: join(bindingsDir, "demo", "vite.config.js"), build: { outDir, emptyOutDir: true } });
  server = await startChartgate({ CHARTGATE_SERVER__DEMO_DIR: outDir });
  const body = await (
    await fetch(`${server.url}/api/agent/stream`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(REQUEST) })
  ).arrayBuffer();
  bodyLength = body.byteLength;
  const random = prng(SEED);
  proxy = await startFaultProxy(server.url, (_n, seen): Fault => {
    // The page and its assets pass; every stream request (the POST and each resume) draws a fault.
    if (!seen.path.startsWith("/api/agent/stream")) return { kind: "pass" };
    const r = random();
    const fault: Fault = r < 0.4 ? { kind: "pass" } : r < 0.5 ? { kind: "reset" } : { kind: "cutAt", bytes: Math.floor(random() * bodyLength) };
    faults[fault.kind as keyof typeof faults]++;
    return fault;
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

interface Outcome {
  streams: number;
  delivered: number;
  /** The first few streams that were not delivered whole, and why. */
  failures: string[];
  reconnects: number;
  ms: number;
}

test(`${STREAMS} streams in Chromium through a proxy cutting at random points: >= 99.9% deliver every event exactly once`, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${proxy.url}/`);
  await page.waitForFunction(() => (window as unknown as { __chartgate_demo?: { ready: boolean } }).__chartgate_demo?.ready === true, null, { timeout: 30_000 });

  const outcome: Outcome = await page.evaluate(
    async ({ streams, request }) => {
      type Ev = { type: string; id?: number; state?: string; text?: string; command?: { legacy: string }; chart_commands?: string[]; code?: string };
      const streamAsk = (window as unknown as { __chartgate_stream: (url: string, req: unknown, o: unknown) => AsyncIterable<Ev> }).__chartgate_stream;
      const volatile = new Set(["stream_id", "request_id", "session_id", "timestamp", "latency_ms"]);
      const stable = (e: Ev) => JSON.stringify(e, (k, v: unknown) => (volatile.has(k) ? undefined : v));
      // Short waits between attempts (the backoff's schedule is tested in node). The proxy faults
      // 60% of requests, far above any real network, so 12 consecutive failed attempts are allowed
      // instead of the default 5: with 5, and again with 8, a run gave up on 1 stream of 1,000
      // (99.90%, exactly the threshold), so the test failed about one run in four. What it
      // measures is exactly-once delivery, not how many faults in a row the client tolerates.
      const options = { retry: { baseMs: 5, maxMs: 40, attempts: 12 } };
      let reference: string[] | undefined;
      let delivered = 0;
      let reconnects = 0;
      const failures: string[] = [];
      const one = async (k: number) => {
        const answer: Ev[] = [];
        let last: Ev | undefined;
        for await (const e of streamAsk("/api/agent/stream", request, options)) {
          if (e.type === "connection") {
            last = e;
            if (e.state === "reconnecting") reconnects++;
          } else answer.push(e);
        }
        const why: string[] = [];
        const ids = answer.map((e) => e.id);
        if (!ids.every((id, i) => id === i + 1)) why.push(`ids ${ids.join(",")}`);
        const done = answer.at(-1);
        if (done?.type !== "done") why.push(`ended ${done?.type}, connection ${last?.state} ${last?.code ?? ""}`);
        else {
          const text = answer.flatMap((e) => (e.type === "content" ? [e.text] : [])).join("");
          if (text !== done.text) why.push(`text ${JSON.stringify(text)}`);
          const commands = answer.flatMap((e) => (e.type === "chart_command" ? [e.command!.legacy] : []));
          if (commands.join() !== done.chart_commands!.join()) why.push(`commands ${commands.join()}`);
        }
        if (last?.state !== "closed") why.push(`last state ${last?.state}`);
        const shape = answer.map(stable);
        if (reference && shape.join("\n") !== reference.join("\n")) why.push("differs from the reference answer");
        if (why.length === 0) {
          delivered++;
          // The reference: the first stream that passes the rules above (it may have been cut too).
          reference ??= shape;
        } else if (failures.length < 10) failures.push(`stream ${k}: ${why.join("; ")}`);
      };
      const started = performance.now();
      let next = 0;
      while (reference === undefined && next < streams) await one(next++);
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < streams) await one(next++);
        }),
      );
      return { streams, delivered, failures, reconnects, ms: Math.round(performance.now() - started) };
    },
    { streams: STREAMS, request: REQUEST },
  );

  const share = outcome.delivered / outcome.streams;
  console.log(
    `exactly once in Chromium: ${outcome.delivered} of ${outcome.streams} streams (${(share * 100).toFixed(2)}%) in ${outcome.ms} ms; ` +
      `${outcome.reconnects} reconnections; faults drawn: ${faults.pass} pass, ${faults.reset} reset, ${faults.cutAt} cut at a random byte of ${bodyLength}; seed ${SEED}`,
  );
  for (const f of outcome.failures) console.log(`  not delivered: ${f}`);
  assert.ok(faults.reset + faults.cutAt >= outcome.streams / 2, "the proxy cut at least one connection in two streams");
  assert.ok(outcome.reconnects >= outcome.streams / 2, `only ${outcome.reconnects} reconnections`);
  assert.ok(share >= 0.999, `${outcome.delivered} of ${outcome.streams} delivered exactly once, under 99.9%`);
  assert.deepEqual(errors, []);
  await page.close();
});
