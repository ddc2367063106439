// Compares wasm-pack builds of the eager module side by side in one run, in node and in headless
// Chromium, alternating builds round by round so that the machine's drift hits every build alike
// (figures from different time windows on a shared machine differ by several µs; only builds
// compared in the same window can be told apart).
//
//   node bench/compare.mjs [--rev main] [--target node|chromium|both] [--rounds 3] [--payloads 2000]
//        [--warmup-ms 3000] [--tool-bytes 5000] [--allow-different-answers] [DIR …]
//   (from frontend-bindings/; e.g. `node bench/compare.mjs --rev main pkg`: today's main against this build)
//
// Each DIR is a wasm-pack output directory of the eager module (like pkg/; copy it aside before
// rebuilding). `--rev REV` adds a build of that git revision's wasm crate (its sources from
// `git archive` into $TMPDIR/chartgate-rev-rev-REV/, built by wasm-pack with this checkout's wasm-opt
// into bench/results/rev-REV/;
// reused when already there), listed first. Every build must give the same answers on the corpus
// (checked once, exit 1 otherwise; with --allow-different-answers, for comparing across a
// deliberate behaviour change, the number of payloads answered differently is printed instead).
//
// Three workloads, each timed like bench/run.mjs times the call (measure.mjs `throughput`: warm-up
// of at least 5 passes and 3 s, then 7 timed passes, median ns/payload):
// - `corpus`: the seeded corpus (bench/corpus.mjs), the overall speed;
// - `objects`: its object payloads as generated;
// - `objects+tools`: the same payloads, each carrying about --tool-bytes of tool data beside its
//   commands (`toolDataPair`); `tools/objects` is what that data costs (issue target: ≤ 1.5×).
// Per round and build: one fresh node process, and one fresh Chromium page. Prints each
// measurement, then per build and target the median over the rounds.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { takeFlag, takeOption } from "./args.mjs";
import { launch, pageResult, serve } from "./browser.mjs";
import { loadBuild } from "./build.mjs";
import { makeCorpus, toolDataPair } from "./corpus.mjs";
import { median } from "./measure.mjs";
import { workloads } from "./workloads.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const allowDifferent = takeFlag(args, "allow-different-answers");
const rev = takeOption(args, "rev", undefined);
const target = takeOption(args, "target", "both");
const rounds = Number(takeOption(args, "rounds", 3));
const payloads = Number(takeOption(args, "payloads", 2000));
const warmupMs = Number(takeOption(args, "warmup-ms", 3000));
const toolBytes = Number(takeOption(args, "tool-bytes", 5000));

/** Builds the eager wasm crate of git revision `rev` into bench/results/rev-<rev>/ (once). */
function buildRev(rev) {
  const out = join(root, "bench", "results", `rev-${rev.replace(/[^A-Za-z0-9._-]/g, "_")}`);
  if (existsSync(join(out, "chartgate_wasm_bg.wasm"))) return out;
  // A fixed source directory per revision, so a second build reuses cargo's artifacts.
  const src = join(tmpdir(), `chartgate-rev-${basename(out)}`);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  {
    const repo = resolve(root, "..");
    const archive = spawnSync("sh", ["-c", `git -C "${repo}" archive "${rev}" | tar -x -C "${src}"`], { stdio: "inherit" });
    if (archive.status !== 0) throw new Error(`git archive ${rev} failed`);
    const binaryen = join(repo, ".tools", "binaryen", "node_modules", ".bin");
    const env = { ...process.env, PATH: `${binaryen}${delimiter}${process.env.PATH ?? ""}` };
    console.error(`building ${rev}'s wasm crate into ${out} …`);
    const r = spawnSync(
      "wasm-pack",
      ["build", join(src, "wasm"), "--profile", "wasm-release", "--target", "web", "--mode", "no-install", "--no-pack", "--no-gitignore", "--out-dir", out, "--out-name", "chartgate_wasm"],
      { stdio: "inherit", env },
    );
    if (r.status !== 0) throw new Error(`wasm-pack build of ${rev} failed`);
  }
  return out;
}

if (args[0] === "--child") {
  // One timed node process: prints its three medians.
  const m = await loadBuild(args[1]);
  console.log(JSON.stringify(workloads(m, { payloads, warmupMs, toolBytes, now: () => performance.now() })));
} else {
  if (!["node", "chromium", "both"].includes(target)) {
    console.error(`--target must be node, chromium or both, not ${target}`);
    process.exit(2);
  }
  const dirs = [...(rev ? [buildRev(rev)] : []), ...args.map((d) => resolve(d))];
  if (dirs.length === 0) {
    console.error("usage: node bench/compare.mjs [--rev REV] [--target node|chromium|both] [--rounds N] [--payloads N] [--warmup-ms N] [--tool-bytes N] [--allow-different-answers] DIR …");
    process.exit(2);
  }
  const corpus = makeCorpus({ count: payloads, seed: 42 });
  const { tools } = toolDataPair(corpus, { bytes: toolBytes });
  const mods = [];
  for (const d of dirs) mods.push(await loadBuild(d));
  const different = [...corpus, ...tools].filter((p) => {
    const answers = mods.map((m) => JSON.stringify(m.normalizeChartCommandPayload(p.input, p.responseText, p.flags)));
    return answers.some((a) => a !== answers[0]);
  });
  if (different.length > 0) {
    console.error(`the builds answer differently for ${different.length} payloads, first: ${JSON.stringify(different[0]).slice(0, 400)}`);
    if (!allowDifferent) process.exit(1);
  }
  // Chromium serves frontend-bindings/: each build is copied under bench/results/compare/.
  const served = dirs.map((d, k) => {
    const to = join(root, "bench", "results", "compare", `${k}-${basename(d)}`);
    rmSync(to, { recursive: true, force: true });
    mkdirSync(dirname(to), { recursive: true });
    cpSync(d, to, { recursive: true });
    return relative(root, to);
  });
  const self = fileURLToPath(import.meta.url);
  const targets = target === "both" ? ["node", "chromium"] : [target];
  const results = Object.fromEntries(targets.map((t) => [t, dirs.map(() => [])]));
  const server = targets.includes("chromium") ? await serve(root) : undefined;
  const browser = server ? await launch() : undefined;
  const us = (ns) => (ns / 1000).toFixed(2);
  const line = (w) => `corpus ${us(w.corpus)} µs, objects ${us(w.objects)} µs, objects+tools ${us(w.tools)} µs (×${(w.tools / w.objects).toFixed(2)})`;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [k, d] of dirs.entries()) {
        if (results.node) {
          const out = spawnSync(process.execPath, [self, "--child", d, "--payloads", String(payloads), "--warmup-ms", String(warmupMs), "--tool-bytes", String(toolBytes)], { encoding: "utf8" });
          if (out.status !== 0) {
            console.error(out.stderr);
            process.exit(1);
          }
          const w = JSON.parse(out.stdout);
          results.node[k].push(w);
          console.log(`round ${r + 1}  node      ${d}: ${line(w)}`);
        }
        if (browser) {
          const q = new URLSearchParams({ mode: "compare", pkg: served[k], payloads, warmupMs, toolBytes });
          const w = await pageResult(browser, `http://127.0.0.1:${server.address().port}/bench/bench.html?${q}`, 600_000);
          results.chromium[k].push(w);
          console.log(`round ${r + 1}  chromium  ${d}: ${line(w)}`);
        }
      }
    }
  } finally {
    await browser?.close();
    server?.close();
  }
  for (const t of targets) {
    dirs.forEach((d, k) => {
      const pick = (key) => median(results[t][k].map((w) => w[key]));
      const m = { corpus: pick("corpus"), objects: pick("objects"), tools: pick("tools") };
      console.log(`${t.padEnd(8)} ${d}: medians over ${rounds} rounds: ${line(m)}`);
    });
  }
}
