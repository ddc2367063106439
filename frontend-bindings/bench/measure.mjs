// The measurement loop, shared by node and the browser page (no node APIs).
//
// - Throughput: `runs` timed passes over the whole corpus (after ≥ 5 warm-up passes and ≥ 3 s); per run,
//   ns/payload = elapsed / corpus size. Reported: the median run, and payloads/s from it.
// - Per-call latency: for each payload, `reps` back-to-back calls timed together (Chromium clamps
//   performance.now() to 5 µs even when cross-origin isolated, so one call cannot be timed alone);
//   a payload's per-call time is the median over `runs` of elapsed / reps. Reported: p50 and p99
//   of that over all payloads.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/**
 * Throughput only: warm-up until the engine has tiered up (at least 5 passes and 3 seconds, or
 * `warmupMs`), then `runs` timed passes; ns/payload of each pass. `now()` returns milliseconds.
 * `work(p, i)` (the payload and its index) is what is timed per payload and returns a number to
 * keep; by default one `normalizeChartCommandPayload` call (its command count).
 */
export function throughput(api, corpus, { runs = 7, now, warmupMs = 3000, work }) {
  const call = work ?? ((p) => api.normalizeChartCommandPayload(p.input, p.responseText, p.flags).commands.length);
  let sink = 0;
  const w0 = now();
  for (let w = 0; w < 5 || now() - w0 < warmupMs; w++) for (let i = 0; i < corpus.length; i++) sink += call(corpus[i], i);
  const runNsPerPayload = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    for (let i = 0; i < corpus.length; i++) sink += call(corpus[i], i);
    runNsPerPayload.push(((now() - t0) * 1e6) / corpus.length);
  }
  return { runNsPerPayload, sink };
}

/** `now()` returns milliseconds (performance.now or hrtime). */
export function measure(api, corpus, { runs = 7, reps = 32, now }) {
  const call = (p) => api.normalizeChartCommandPayload(p.input, p.responseText, p.flags);
  let commands = 0;
  let withErrors = 0;
  for (const p of corpus) {
    const out = call(p);
    commands += out.commands.length;
    if (out.issues.some((i) => i.severity === "error")) withErrors++;
  }
  let { runNsPerPayload, sink } = throughput(api, corpus, { runs, now });

  const perPayload = corpus.map(() => []);
  for (let r = 0; r < runs; r++) {
    corpus.forEach((p, i) => {
      const t0 = now();
      for (let k = 0; k < reps; k++) sink += call(p).commands.length;
      perPayload[i].push(((now() - t0) * 1e6) / reps);
    });
  }
  const perCall = perPayload.map(median);
  const nsPerPayload = median(runNsPerPayload);
  return {
    payloads: corpus.length,
    runs,
    reps,
    nsPerPayload,
    payloadsPerSecond: 1e9 / nsPerPayload,
    runNsPerPayload,
    p50Ns: percentile(perCall, 50),
    p99Ns: percentile(perCall, 99),
    meanCommandsPerPayload: commands / corpus.length,
    payloadsWithErrorIssues: withErrors / corpus.length,
    sink,
  };
}

/**
 * Where a `normalizeChartCommandPayload` call's time goes, for bench/stages.mjs in node and on the
 * bench page. `m` is a build with the `probes` feature (wasm-pack glue, initialized).
 * - `prefixes`: five cumulative prefixes of the call, each timed like `throughput` times the call:
 *   `JSON.stringify` of the input; + reading it into a `Value` in wasm; + core's normalization;
 *   + writing the answer's JSON text; the whole call (+ `TextDecoder` and `JSON.parse`).
 * - `alone`: the JavaScript work of the answer's side of the bridge by itself, on the corpus'
 *   answers (their `JSON.stringify` text, which is the module's text but for number spellings).
 * Each entry: `{ name, ns }`, the median ns/payload.
 */
export function stages(m, corpus, { now, warmupMs }) {
  const time = (work) => median(throughput(m, corpus, { now, warmupMs, work }).runNsPerPayload);
  const answers = corpus.map((p) => JSON.stringify(m.normalizeChartCommandPayload(p.input, p.responseText, p.flags)));
  const encoder = new TextEncoder();
  const bytes = answers.map((t) => encoder.encode(t));
  const decoder = new TextDecoder();
  const prefixes = [
    ["JSON.stringify of the input, in JS", (p) => JSON.stringify(p.input ?? null).length],
    ["+ copy into wasm, read into a Value, drop it", (p) => m.probeRead(p.input)],
    ["+ core's normalization, drop the answer", (p) => m.probeNormalize(p.input, p.responseText, p.flags)],
    ["+ writing the answer's JSON text", (p) => m.probeWrite(p.input, p.responseText, p.flags)],
    ["+ TextDecoder and JSON.parse of the answer (the whole call)", (p) => m.normalizeChartCommandPayload(p.input, p.responseText, p.flags).commands.length],
  ];
  const alone = [
    ["TextDecoder of the answer's UTF-8", (_, i) => decoder.decode(bytes[i]).length],
    ["JSON.parse of the answer's text", (_, i) => JSON.parse(answers[i]).commands.length],
  ];
  const timed = (list) => list.map(([name, work]) => ({ name, ns: time(work) }));
  return {
    prefixes: timed(prefixes),
    alone: timed(alone),
    answerBytes: bytes.reduce((n, b) => n + b.length, 0) / corpus.length,
  };
}
