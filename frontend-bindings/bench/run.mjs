// Benchmark of the built package (dist/ + pkg/: run `npm run build` first) on the seeded corpus,
// in node and in headless Chromium (Debian's /usr/bin/chromium via playwright-core).
//
//   node bench/run.mjs                          2,000 payloads, 7 runs, node + Chromium
//   node bench/run.mjs --target node --payloads 200 --runs 3 --reps 4 --json
//
// Options: --payloads N (2000)  --runs N (7)  --reps N (32)  --seed N (42)  --target node|chromium|both
//          --json (print the JSON result only)  --out FILE (default bench/results/latest.json)
//          --cold-samples N (7)  --dump-corpus FILE (write the corpus as JSON lines and stop)
// Reports ns/payload (median of the runs) and payloads/s, per-call p50/p99 (see measure.mjs),
// wasm + glue size raw and gzip -9, and cold-start times (median of 7 fresh browsers).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { takeFlag, takeOption } from "./args.mjs";
import { launch, pageResult, serve } from "./browser.mjs";
import { makeCorpus } from "./corpus.mjs";
import { measure, median } from "./measure.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const args = process.argv.slice(2);
const cfg = {
  payloads: Number(takeOption(args, "payloads", 2000)),
  runs: Number(takeOption(args, "runs", 7)),
  reps: Number(takeOption(args, "reps", 32)),
  seed: Number(takeOption(args, "seed", 42)),
  target: takeOption(args, "target", "both"),
  coldSamples: Number(takeOption(args, "cold-samples", 7)),
};
const jsonOnly = takeFlag(args, "json");
const dumpCorpus = takeOption(args, "dump-corpus", undefined);
const corpus = makeCorpus({ count: cfg.payloads, seed: cfg.seed });
if (dumpCorpus) {
  // JSON lines for the native baseline (wasm/examples/native_baseline.rs), then stop.
  const lines = corpus.map((p) => JSON.stringify({ input: p.input ?? null, responseText: p.responseText ?? null, flags: p.flags ?? {} }));
  writeFileSync(dumpCorpus, lines.join("\n") + "\n");
  console.error(`wrote ${corpus.length} payloads to ${dumpCorpus}`);
  process.exit(0);
}
const outFile = takeOption(args, "out", join(here, "results", "latest.json"));
const log = (...xs) => {
  if (!jsonOnly) console.error(...xs);
};

function sizes() {
  const f = (p) => readFileSync(join(root, p));
  const wasm = f("pkg/chartgate_wasm_bg.wasm");
  const glue = f("pkg/chartgate_wasm.js");
  // zlib deflate level 9 with its default settings: within 0.1% of GNU `gzip -9`.
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  return {
    wasmBytes: wasm.length,
    wasmGzipBytes: gz(wasm),
    glueBytes: glue.length,
    glueGzipBytes: gz(glue),
    totalGzipBytes: gz(wasm) + gz(glue),
  };
}

async function benchNode() {
  const t0 = performance.now();
  const api = await import(join(root, "dist", "node.js"));
  const importMs = performance.now() - t0;
  const bytes = readFileSync(join(root, "pkg", "chartgate_wasm_bg.wasm"));
  const compile = [];
  for (let i = 0; i < cfg.coldSamples; i++) {
    const c0 = performance.now();
    const m = await WebAssembly.compile(bytes);
    compile.push(performance.now() - c0);
    void m;
  }
  const hr = () => Number(process.hrtime.bigint()) / 1e6;
  return {
    ...measure(api, corpus, { runs: cfg.runs, reps: cfg.reps, now: hr }),
    importAndInstantiateMs: importMs,
    compileMsMedian: median(compile),
    node: process.version,
  };
}

async function benchChromium() {
  const server = await serve(root);
  const base = `http://127.0.0.1:${server.address().port}/bench/bench.html`;
  const run = (browser, query, timeout) => pageResult(browser, `${base}?${query}`, timeout);
  try {
    // Cold starts: a fresh browser (fresh profile, no code cache) per sample.
    const init = [];
    const firstCall = [];
    const stream = [];
    let isolated;
    for (let i = 0; i < cfg.coldSamples; i++) {
      const b = await launch();
      try {
        const r = await run(b, "mode=init", 30_000);
        init.push(r.initMs);
        firstCall.push(r.firstCallMs);
        isolated = r.crossOriginIsolated;
      } finally {
        await b.close();
      }
      const b2 = await launch();
      try {
        stream.push((await run(b2, "mode=stream", 30_000)).streamInitMs);
      } finally {
        await b2.close();
      }
    }
    const browser = await launch();
    try {
      const q = new URLSearchParams({ payloads: cfg.payloads, seed: cfg.seed, runs: cfg.runs, reps: cfg.reps });
      const r = await run(browser, q.toString(), 600_000);
      return {
        ...r,
        compileInstantiateMsMedian: median(init),
        compileInstantiateMsSamples: init,
        firstCallMsMedian: median(firstCall),
        streamingInitMsMedian: median(stream),
        crossOriginIsolated: isolated && r.crossOriginIsolated,
        browser: browser.version(),
      };
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
  }
}

const result = { config: cfg, machine: { cpus: cpus().length, model: cpus()[0]?.model }, corpus: corpus.stats, size: sizes() };
if (cfg.target === "node" || cfg.target === "both") {
  log("node: running…");
  result.node = await benchNode();
}
if (cfg.target === "chromium" || cfg.target === "both") {
  log("chromium: running…");
  result.chromium = await benchChromium();
}

const us = (ns) => (ns / 1000).toFixed(2);
if (jsonOnly) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const s = result.size;
  console.log(`corpus: ${cfg.payloads} payloads (seed ${cfg.seed}), ${cfg.runs} runs, ${cfg.reps} reps per latency sample, ${result.machine.cpus} CPUs`);
  const st = result.corpus;
  const pct = (n, d) => ((n * 100) / d).toFixed(1);
  console.log(`corpus stats: ${st.malformed} of ${st.entries} entries malformed (${pct(st.malformed, st.entries)}%), ${pct(st.camel, cfg.payloads)}% of payloads with camelCase keys, ${pct(st.flagged, cfg.payloads)}% with a flag set`);
  console.log(`size: wasm ${s.wasmBytes} B (${s.wasmGzipBytes} B gzip), glue ${s.glueBytes} B (${s.glueGzipBytes} B gzip), total ${s.totalGzipBytes} B gzip`);
  console.log("| target | ns/payload (median of runs) | payloads/s | per-call p50 | per-call p99 |");
  console.log("|---|---|---|---|---|");
  for (const t of ["node", "chromium"]) {
    const r = result[t];
    if (r) console.log(`| ${t} | ${Math.round(r.nsPerPayload)} (${us(r.nsPerPayload)} µs) | ${Math.round(r.payloadsPerSecond)} | ${us(r.p50Ns)} µs | ${us(r.p99Ns)} µs |`);
  }
  if (result.node) console.log(`node: compile ${result.node.compileMsMedian.toFixed(2)} ms (median), import + instantiate ${result.node.importAndInstantiateMs.toFixed(2)} ms, ${result.node.node}`);
  if (result.chromium) {
    const c = result.chromium;
    console.log(`chromium ${c.browser}: compile + instantiate ${c.compileInstantiateMsMedian.toFixed(2)} ms (median of ${cfg.coldSamples} fresh browsers), first call ${c.firstCallMsMedian.toFixed(2)} ms, init() streaming from 127.0.0.1 ${c.streamingInitMsMedian.toFixed(2)} ms, crossOriginIsolated=${c.crossOriginIsolated}`);
  }
  for (const t of ["node", "chromium"]) {
    const r = result[t];
    if (r) console.log(`${t}: runs ns/payload [${r.runNsPerPayload.map((x) => Math.round(x)).join(", ")}], ${r.meanCommandsPerPayload.toFixed(2)} commands/payload, ${(r.payloadsWithErrorIssues * 100).toFixed(1)}% payloads with an error issue`);
  }
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + "\n");
log(`wrote ${outFile}`);
