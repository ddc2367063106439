// Compares wasm-pack builds of the package on the seeded corpus, alternating fresh node processes so
// that the machine's drift hits every build alike (figures from different time windows on a shared
// machine differ by several µs; only builds compared in the same window can be told apart).
//
//   node bench/compare.mjs [--rounds 3] [--payloads 2000] [--warmup-ms 3000] [--allow-different-answers] DIR_A DIR_B …
//   (from frontend-bindings/)
//
// Each DIR is a wasm-pack output directory (like pkg/; copy it aside before rebuilding). Every build
// must give the same answers on the corpus (checked once, exit 1 otherwise; with
// --allow-different-answers, for comparing across a deliberate behaviour change, the number of
// payloads answered differently and the first of them are printed instead); then, per round and
// build, one process measures throughput with the loop bench/run.mjs times (measure.mjs `throughput`:
// warm-up of at least 5 passes and 3 s, then 7 timed passes, median), on the build's own glue. Prints each process's median
// ns/payload and, per build, the median over the rounds.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { takeFlag, takeOption } from "./args.mjs";
import { loadBuild } from "./build.mjs";
import { makeCorpus } from "./corpus.mjs";
import { median, throughput } from "./measure.mjs";

const args = process.argv.slice(2);
const allowDifferent = takeFlag(args, "allow-different-answers");
const rounds = Number(takeOption(args, "rounds", 3));
const payloads = Number(takeOption(args, "payloads", 2000));
const warmupMs = Number(takeOption(args, "warmup-ms", 3000));

if (args[0] === "--child") {
  // One timed process: prints its median ns/payload.
  const m = await loadBuild(args[1]);
  const corpus = makeCorpus({ count: payloads, seed: 42 });
  const { runNsPerPayload, sink } = throughput(m, corpus, { now: () => performance.now(), warmupMs });
  console.log(JSON.stringify({ ns: median(runNsPerPayload), sink }));
} else {
  const dirs = args;
  if (dirs.length === 0) {
    console.error("usage: node bench/compare.mjs [--rounds N] [--payloads N] [--warmup-ms N] [--allow-different-answers] DIR_A DIR_B …");
    process.exit(2);
  }
  const corpus = makeCorpus({ count: payloads, seed: 42 });
  const mods = [];
  for (const d of dirs) mods.push(await loadBuild(d));
  const different = corpus.filter((p) => {
    const answers = mods.map((m) => JSON.stringify(m.normalizeChartCommandPayload(p.input, p.responseText, p.flags)));
    return answers.some((a) => a !== answers[0]);
  });
  if (different.length > 0) {
    console.error(`the builds answer differently for ${different.length} of ${corpus.length} payloads, first: ${JSON.stringify(different[0])}`);
    if (!allowDifferent) process.exit(1);
  }
  const self = fileURLToPath(import.meta.url);
  const results = dirs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    dirs.forEach((d, k) => {
      const out = spawnSync(process.execPath, [self, "--child", d, "--payloads", String(payloads), "--warmup-ms", String(warmupMs)], { encoding: "utf8" });
      if (out.status !== 0) {
        console.error(out.stderr);
        process.exit(1);
      }
      const { ns } = JSON.parse(out.stdout);
      results[k].push(ns);
      console.log(`round ${r + 1}  ${d}  ${(ns / 1000).toFixed(2)} µs/payload`);
    });
  }
  dirs.forEach((d, k) => console.log(`${d}: median ${(median(results[k]) / 1000).toFixed(2)} µs/payload over ${rounds} rounds`));
}
