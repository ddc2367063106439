/**
 * Smoke run of the benchmark (bench/run.mjs) on a tiny corpus in node and Chromium, so the runner
 * the documented figures come from keeps working. Checks the shape of its JSON, not timings.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
