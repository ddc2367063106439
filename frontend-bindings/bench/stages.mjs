// Where a normalizeChartCommandPayload call's time goes, in node and in headless Chromium: each
// stage is a prefix of the call, timed over the seeded corpus like bench/run.mjs times the whole
// call; then the answer's JavaScript work alone (TextDecoder, JSON.parse) on the same answers.
//
//   node scripts/build-wasm.mjs --probes && node bench/stages.mjs [--target node|chromium|both]
//        [--payloads 2000] [--warmup-ms 3000] [pkg-probes]
//   (from frontend-bindings/)
//
// The directory is a wasm-pack build with the `probes` feature (the shipped build plus
// probeRead/probeNormalize/probeWrite), inside frontend-bindings/ (the page is served from there).
// Prints, per stage and target, the median ns/payload of the prefix and the difference to the
// previous one, and the call without core's stage: the JSON bridge and the exports' own work.
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { takeOption } from "./args.mjs";
import { launch, pageResult, serve } from "./browser.mjs";
import { loadBuild } from "./build.mjs";
import { makeCorpus } from "./corpus.mjs";
import { stages } from "./measure.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const target = takeOption(args, "target", "both");
const payloads = Number(takeOption(args, "payloads", 2000));
const warmupMs = Number(takeOption(args, "warmup-ms", 3000));
const dir = resolve(args[0] ?? "pkg-probes");
const usage = (msg) => {
  console.error(msg);
  process.exit(2);
};
if (!["node", "chromium", "both"].includes(target)) usage(`--target must be node, chromium or both, not ${target}`);

const m = await loadBuild(dir);
if (typeof m.probeRead !== "function") usage(`${dir} has no probe exports; build it with: node scripts/build-wasm.mjs --probes`);

const results = {};
if (target !== "chromium") {
  results.node = stages(m, makeCorpus({ count: payloads, seed: 42 }), { now: () => performance.now(), warmupMs });
}
if (target !== "node") {
  const rel = relative(root, dir);
  if (rel.startsWith("..") || rel.includes(":")) usage(`${dir} must be inside ${root} to be served to Chromium`);
  const server = await serve(root);
  try {
    const browser = await launch();
    try {
      const q = new URLSearchParams({ mode: "stages", pkg: rel.split(sep).join("/"), payloads, warmupMs });
      const url = `http://127.0.0.1:${server.address().port}/bench/bench.html?${q}`;
      results.chromium = await pageResult(browser, url, 600_000);
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
  }
}

const targets = Object.keys(results);
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
const first = results[targets[0]];
console.log(`| stage | ${targets.map((t) => `${t}: cumulative | ${t}: this stage`).join(" | ")} |`);
console.log(`|---|${targets.map(() => "---|---|").join("")}`);
first.prefixes.forEach(({ name }, i) => {
  const cells = targets.map((t) => {
    const p = results[t].prefixes;
    return `${us(p[i].ns)} | ${us(p[i].ns - (i ? p[i - 1].ns : 0))}`;
  });
  console.log(`| ${name} | ${cells.join(" | ")} |`);
});
console.log(`\n| the answer's JavaScript work alone (${Math.round(first.answerBytes)} B per answer) | ${targets.join(" | ")} |`);
console.log(`|---|${targets.map(() => "---|").join("")}`);
first.alone.forEach(({ name }, i) => console.log(`| ${name} | ${targets.map((t) => us(results[t].alone[i].ns)).join(" | ")} |`));
const withoutCore = (r) => r.prefixes[4].ns - (r.prefixes[2].ns - r.prefixes[1].ns);
console.log(`\nthe call without core's stage (the JSON bridge and the exports): ${targets.map((t) => `${t} ${us(withoutCore(results[t]))}`).join(", ")}`);
