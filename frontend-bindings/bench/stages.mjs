// Where a normalizeChartCommandPayload call's time goes, in node: each stage is a prefix of the
// call, timed over the seeded corpus like bench/run.mjs times the whole call (measure.mjs).
//
//   node scripts/build-wasm.mjs --probes && node bench/stages.mjs [--payloads 2000] [--warmup-ms 3000] [pkg-probes]
//   (from frontend-bindings/)
//
// The directory is a wasm-pack build with the `probes` feature (the shipped build plus
// probeRead/probeNormalize/probeWrite). Prints, per stage, the median ns/payload of the prefix
// and the difference to the previous one.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { takeOption } from "./args.mjs";
import { makeCorpus } from "./corpus.mjs";
import { median, throughput } from "./measure.mjs";

const args = process.argv.slice(2);
const payloads = Number(takeOption(args, "payloads", 2000));
const warmupMs = Number(takeOption(args, "warmup-ms", 3000));
const dir = args[0] ?? "pkg-probes";

const m = await import(pathToFileURL(resolve(dir, "chartgate_wasm.js")).href);
if (typeof m.probeRead !== "function") {
  console.error(`${dir} has no probe exports; build it with: node scripts/build-wasm.mjs --probes`);
  process.exit(2);
}
m.initSync({ module: readFileSync(resolve(dir, "chartgate_wasm_bg.wasm")) });
const corpus = makeCorpus({ count: payloads, seed: 42 });

const stages = [
  ["JSON.stringify of the input, in JS", (p) => JSON.stringify(p.input ?? null).length],
  ["+ copy into wasm, read into a Value, drop it", (p) => m.probeRead(p.input)],
  ["+ core's normalization, drop the answer", (p) => m.probeNormalize(p.input, p.responseText, p.flags)],
  ["+ writing the answer's JSON text", (p) => m.probeWrite(p.input, p.responseText, p.flags)],
  ["+ TextDecoder and JSON.parse of the answer (the whole call)", (p) => m.normalizeChartCommandPayload(p.input, p.responseText, p.flags).commands.length],
];

const now = () => performance.now();
let previous = 0;
console.log("| stage | cumulative | this stage |\n|---|---|---|");
for (const [name, work] of stages) {
  const ns = median(throughput(m, corpus, { now, warmupMs, work }).runNsPerPayload);
  console.log(`| ${name} | ${(ns / 1000).toFixed(2)} µs | ${((ns - previous) / 1000).toFixed(2)} µs |`);
  previous = ns;
}
