/**
 * Smoke runs of the benchmark runners (bench/run.mjs and stages.mjs in node and Chromium, compare.mjs)
 * on tiny corpora, so the runners the documented figures come from keep working. Checks the shape of
 * their output, not timings.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bindingsDir } from "./helpers.js";

test("bench runner: tiny corpus in node and Chromium", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chartgate-bench-"));
  try {
    const out = join(dir, "result.json");
    execFileSync(
      process.execPath,
      ["bench/run.mjs", "--payloads", "40", "--runs", "2", "--reps", "2", "--cold-samples", "1", "--json", "--out", out],
      { cwd: bindingsDir, stdio: ["ignore", "ignore", "inherit"], timeout: 120_000 },
    );
    const r = JSON.parse(readFileSync(out, "utf8"));
    assert.ok(r.size.totalGzipBytes > 0 && r.size.wasmBytes > r.size.wasmGzipBytes);
    assert.ok(r.corpus.entries >= 40 && r.corpus.malformed < r.corpus.entries, JSON.stringify(r.corpus));
    for (const t of ["node", "chromium"]) {
      assert.equal(r[t].payloads, 40, t);
      assert.equal(r[t].runNsPerPayload.length, 2, t);
      assert.ok(r[t].nsPerPayload > 0 && r[t].p99Ns >= r[t].p50Ns, t);
      assert.ok(r[t].meanCommandsPerPayload >= 1, t);
    }
    assert.ok(r.chromium.compileInstantiateMsMedian > 0);
    assert.equal(r.chromium.crossOriginIsolated, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("build comparison runner: two builds, node and Chromium, three workloads, medians per build", () => {
  const out = execFileSync(
    process.execPath,
    ["bench/compare.mjs", "--rounds", "2", "--payloads", "30", "--warmup-ms", "100", "--tool-bytes", "2000", "pkg", "pkg"],
    { cwd: bindingsDir, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 180_000 },
  );
  const pkg = join(bindingsDir, "pkg");
  const w = "corpus \\d+\\.\\d\\d µs, objects \\d+\\.\\d\\d µs, objects\\+tools \\d+\\.\\d\\d µs \\(×\\d+\\.\\d\\d\\)";
  const esc = pkg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const rounds = out.split("\n").filter((l) => new RegExp(`^round [12]  (node    |chromium)  ${esc}: ${w}$`).test(l));
  assert.equal(rounds.length, 8, out);
  const medians = out.split("\n").filter((l) => new RegExp(`^(node    |chromium) ${esc}: medians over 2 rounds: ${w}$`).test(l));
  assert.equal(medians.length, 4, out);
  // Without builds to compare it is a usage error, not a silent success.
  assert.throws(() => execFileSync(process.execPath, ["bench/compare.mjs"], { cwd: bindingsDir, stdio: "ignore" }));
});

test("build comparison runner refuses builds that answer differently unless asked", () => {
  // A copy of pkg/ whose normalizeChartCommandPayload reports another mode: same speed, other answers.
  const dir = mkdtempSync(join(tmpdir(), "chartgate-compare-"));
  try {
    cpSync(join(bindingsDir, "pkg"), dir, { recursive: true });
    const glue = join(dir, "chartgate_wasm.js");
    const text = readFileSync(glue, "utf8");
    const from = "export function normalizeChartCommandPayload(";
    assert.ok(text.includes(from), "the glue exports normalizeChartCommandPayload");
    writeFileSync(
      glue,
      text.replace(from, "function normalizeOriginal(") +
        "\nexport function normalizeChartCommandPayload(...a) { return { ...normalizeOriginal(...a), mode: \"changed\" }; }\n",
    );
    const run = spawnSync(process.execPath, ["bench/compare.mjs", "--target", "node", "--rounds", "1", "--payloads", "5", "--warmup-ms", "10", "pkg", dir], {
      cwd: bindingsDir,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /the builds answer differently for \d+ payloads/);
    // Asked to compare across a behaviour change, it says so and measures both.
    const allowed = spawnSync(
      process.execPath,
      ["bench/compare.mjs", "--target", "node", "--rounds", "1", "--payloads", "5", "--warmup-ms", "10", "--allow-different-answers", "pkg", dir],
      { cwd: bindingsDir, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(allowed.status, 0, allowed.stdout + allowed.stderr);
    assert.match(allowed.stderr, /the builds answer differently for \d+ payloads/);
    const medians = allowed.stdout.split("\n").filter((l) => /: medians over 1 rounds: /.test(l));
    assert.deepEqual(
      medians.map((l) => l.split(": medians")[0]),
      [`node     ${join(bindingsDir, "pkg")}`, `node     ${dir}`],
      allowed.stdout,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stage runner: five cumulative prefixes of a call and the answer's JS work alone, in node and Chromium; refuses a build without probes", () => {
  const out = execFileSync(process.execPath, ["bench/stages.mjs", "--payloads", "30", "--warmup-ms", "50", "pkg-probes"], {
    cwd: bindingsDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 120_000,
  });
  const lines = out.split("\n");
  const us = "(-?\\d+\\.\\d\\d) µs";
  const cells = (line: string) => [...line.matchAll(new RegExp(us, "g"))].map((m) => Number(m[1]));
  // Prefix rows: node cumulative, node stage, Chromium cumulative, Chromium stage.
  const prefixes = lines.filter((l) => new RegExp(`^\\| [^|]+ \\| ${us} \\| ${us} \\| ${us} \\| ${us} \\|$`).test(l));
  assert.equal(prefixes.length, 5, out);
  assert.match(prefixes[4], /the whole call/);
  for (const col of [0, 2]) {
    const cumulative = prefixes.map((l) => cells(l)[col]);
    assert.ok(cumulative.every((x) => x > 0), out);
    // The whole call includes its first stage.
    assert.ok(cumulative[4] > cumulative[0], out);
  }
  const alone = lines.filter((l) => new RegExp(`^\\| (TextDecoder|JSON\\.parse) [^|]+ \\| ${us} \\| ${us} \\|$`).test(l));
  assert.equal(alone.length, 2, out);
  assert.ok(alone.every((l) => cells(l).every((x) => x > 0)), out);
  assert.match(out, /^\| the answer's JavaScript work alone \([1-9]\d* B per answer\) \| node \| chromium \|$/m);
  const bridge = out.match(new RegExp(`without core's stage .*: node ${us}, chromium ${us}$`, "m"));
  assert.ok(bridge, out);
  // The call without core's stage is the whole call less one of its parts.
  assert.ok(Number(bridge[1]) > 0 && Number(bridge[1]) < cells(prefixes[4])[0], out);

  const refused = spawnSync(process.execPath, ["bench/stages.mjs", "pkg"], { cwd: bindingsDir, encoding: "utf8", timeout: 60_000 });
  assert.equal(refused.status, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /no probe exports/);
  const badTarget = spawnSync(process.execPath, ["bench/stages.mjs", "--target", "firefox", "pkg-probes"], { cwd: bindingsDir, encoding: "utf8", timeout: 60_000 });
  assert.equal(badTarget.status, 2, badTarget.stdout + badTarget.stderr);
  assert.match(badTarget.stderr, /--target must be node, chromium or both/);
});

test("bench corpus is seeded: same seed, same payloads; ~5% malformed entries", async () => {
  const { makeCorpus } = (await import(join(bindingsDir, "bench", "corpus.mjs"))) as {
    makeCorpus: (o: { count: number; seed: number }) => { input: unknown }[] & { stats: { entries: number; malformed: number } };
  };
  const a = makeCorpus({ count: 2000, seed: 42 });
  assert.equal(a.length, 2000);
  const rate = a.stats.malformed / a.stats.entries;
  assert.ok(rate > 0.04 && rate < 0.06, `malformed rate ${rate}`);
  const kinds = new Set(a.map((p) => JSON.stringify(Object.keys((p.input ?? {}) as object).sort())));
  assert.ok(kinds.size >= 8, "mixed shapes and key casings");
  assert.equal(JSON.stringify(a), JSON.stringify(makeCorpus({ count: 2000, seed: 42 })));
  assert.notEqual(JSON.stringify(a), JSON.stringify(makeCorpus({ count: 2000, seed: 43 })));
});

test("tool-data pairs: the same object payloads, with about 5 KB of tool data beside the commands", async () => {
  const { makeCorpus, toolDataPair } = (await import(join(bindingsDir, "bench", "corpus.mjs"))) as {
    makeCorpus: (o: { count: number; seed: number }) => { input: unknown }[];
    toolDataPair: (c: { input: unknown }[], o?: { bytes: number }) => { plain: { input: Record<string, unknown> }[]; tools: { input: Record<string, unknown> }[] };
  };
  const { plain, tools } = toolDataPair(makeCorpus({ count: 200, seed: 42 }));
  assert.ok(plain.length > 150 && plain.length === tools.length);
  tools.forEach((t, i) => {
    const extra = JSON.stringify(t.input["tool_results"]).length;
    assert.ok(extra >= 5000 && extra < 5600, `tool data of ${extra} B`);
    const { tool_results: _, ...rest } = t.input;
    assert.deepEqual(rest, plain[i]!.input);
  });
});
