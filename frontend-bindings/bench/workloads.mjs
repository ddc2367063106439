// bench/compare.mjs's three workloads, shared by node and the bench page (no node APIs).
import { makeCorpus, toolDataPair } from "./corpus.mjs";
import { median, throughput } from "./measure.mjs";

/**
 * The median ns/payload of one initialized build `m` (wasm-pack glue) on: the seeded corpus
 * (`corpus`), its object payloads (`objects`), and the same payloads each carrying about
 * `toolBytes` of tool data (`tools`). `now()` returns milliseconds.
 */
export function workloads(m, { payloads, warmupMs, toolBytes, now }) {
  const corpus = makeCorpus({ count: payloads, seed: 42 });
  const { plain, tools } = toolDataPair(corpus, { bytes: toolBytes });
  const time = (c) => median(throughput(m, c, { now, warmupMs }).runNsPerPayload);
  return { corpus: time(corpus), objects: time(plain), tools: time(tools) };
}
