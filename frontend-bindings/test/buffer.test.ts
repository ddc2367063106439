/**
 * ChartCommandBuffer against the `tests/sse/` transcripts (streamed by the real client from the
 * replay server), released at once and paced by a scripted speech clock: execution order from
 * core, context before what depends on it, duplicates once, nothing after error or cancel.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ChartCommandBuffer, streamAsk, type Sentence, type StreamEvent } from "@chartgate/chart-commands/stream";
import { startReplayServer, loadTranscripts, transcript, type Listening, type Transcript } from "./sse.js";

let replay: Listening;
before(async () => {
  replay = await startReplayServer(loadTranscripts());
});
after(async () => {
  await replay.close();
});

async function events(t: Transcript): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of streamAsk(`${replay.url}/api/agent/stream`, t.request)) out.push(e);
  return out;
}

/** Releases as legacy strings, one array per `onRelease` call. */
function recorder() {
  const batches: string[][] = [];
  return { batches, onRelease: (cs: readonly { legacy: string }[]) => batches.push(cs.map((c) => c.legacy)) };
}

test("immediate, fast path: load, timeframe, indicator go out as they arrive, in order", async () => {
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  for (const e of await events(transcript("fast-path-load-timeframe-indicator"))) buffer.push(e);
  assert.deepEqual(r.batches, [["LOAD:NVDA"], ["TIMEFRAME:1W"], ["INDICATOR:RSI:ON"]]);
  assert.deepEqual(buffer.pending, []);
  assert.equal(buffer.ended, true);
});

test("immediate: an indicator that arrives before its load waits for the load and the timeframe", async () => {
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  const released: string[][] = [];
  for (const e of await events(transcript("model-indicator-before-load"))) {
    buffer.push(e);
    if (e.type === "chart_command" && e.command.legacy === "INDICATOR:BOLLINGER:ON") {
      assert.deepEqual(r.batches, [], "the indicator is held");
      assert.deepEqual(buffer.pending.map((c) => c.legacy), ["INDICATOR:BOLLINGER:ON"]);
    }
    released.push(...r.batches.splice(0));
  }
  // Core's execution order within the batch the timeframe completes: timeframe, then the indicator.
  assert.deepEqual(released, [["LOAD:NVDA"], ["TIMEFRAME:1D", "INDICATOR:BOLLINGER:ON"], ["PATTERN:ASCENDING_TRIANGLE:40:90"], ["ZOOM:IN"]]);
});

test("immediate, model path: drawings after the context, each once even when sent twice", async () => {
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  for (const e of await events(transcript("model-levels-trendline-fibonacci"))) {
    buffer.push(e);
    if (e.type === "chart_command") buffer.push(e); // a duplicate (e.g. a client-side retry) changes nothing
  }
  assert.deepEqual(r.batches.flat(), ["LOAD:TSLA", "TIMEFRAME:1D", "SUPPORT:230", "RESISTANCE:265", "TRENDLINE:232:258", "FIBONACCI:265:230"]);
  assert.equal(new Set(r.batches.flat()).size, r.batches.flat().length);
});

test("held commands go out in core's execution order, whatever their arrival order", async () => {
  const { normalizeChartCommandPayload } = await import("@chartgate/chart-commands");
  const all = await events(transcript("model-indicator-before-load"));
  const dependents = all.filter((e) => e.type === "chart_command" && !["load", "timeframe"].includes(e.command.type));
  const done = all.find((e) => e.type === "done");
  assert.ok(done?.type === "done");
  // Without a load, a timeframe or a total, nothing settles before done; then one batch.
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  for (const e of [...dependents].reverse()) buffer.push(e);
  assert.deepEqual(r.batches, []);
  buffer.push(done);
  const expected = normalizeChartCommandPayload(done, null, { preferStructured: true }).commands.map((c) => c.legacy);
  assert.deepEqual(r.batches, [expected]);
  assert.deepEqual(expected, ["LOAD:NVDA", "TIMEFRAME:1D", "INDICATOR:BOLLINGER:ON", "PATTERN:ASCENDING_TRIANGLE:40:90", "ZOOM:IN"]);
});

test("commands in reverse: context goes at once, what depends on it waits and goes out in core's order", async () => {
  const all = await events(transcript("model-indicator-before-load"));
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  for (const e of all.filter((x) => x.type === "chart_command").reverse()) buffer.push(e);
  assert.deepEqual(r.batches, [["TIMEFRAME:1D"], ["LOAD:NVDA", "PATTERN:ASCENDING_TRIANGLE:40:90", "ZOOM:IN"], ["INDICATOR:BOLLINGER:ON"]]);
});

test("error drops what is pending, and nothing is released after it", async () => {
  const t = transcript("model-indicator-before-load");
  const all = await events(t);
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease });
  buffer.push(all.find((e) => e.type === "chart_command")!); // the indicator: held
  buffer.push({ type: "error", id: 99, code: "upstream_timeout", message: "", request_id: "r" });
  assert.deepEqual(buffer.pending, []);
  for (const e of all) buffer.push(e);
  assert.deepEqual(r.batches, []);
  assert.equal(buffer.ended, true);
});

test("a transcript that ends in error releases nothing pending", async () => {
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech" });
  for (const e of await events(transcript("upstream-timeout"))) buffer.push(e);
  assert.deepEqual(r.batches, []);
  assert.equal(buffer.ended, true);
});

/**
 * A scripted speech engine: it is handed each sentence as the buffer completes it, and "speaks"
 * only when the test says so (`speakNext`), calling `spoken(index)` as a real `onstart` would.
 */
function speechClock() {
  const queue: Sentence[] = [];
  const said: string[] = [];
  let buffer: ChartCommandBuffer | undefined;
  return {
    said,
    onSentence: (s: Sentence) => queue.push(s),
    attach: (b: ChartCommandBuffer) => (buffer = b),
    queued: () => queue.length,
    speakNext: () => {
      const s = queue.shift();
      assert.ok(s, "nothing to speak");
      said.push(s.text);
      buffer!.spoken(s.index);
    },
  };
}

test("speech: commands go out when the sentence that mentions them is spoken", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const clock = speechClock();
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech", onSentence: clock.onSentence });
  clock.attach(buffer);
  const all = await events(t);
  // The whole answer streams in before the voice starts (text is faster than speech).
  for (const e of all) buffer.push(e);
  assert.deepEqual(r.batches, [], "nothing before the first sentence is spoken");
  assert.equal(clock.queued(), 4);
  const afterEach: string[][] = [];
  while (clock.queued() > 0) {
    clock.speakNext();
    afterEach.push(r.batches.splice(0).flat());
  }
  assert.deepEqual(clock.said, [
    "TSLA has been ranging between 230 and 265 this month.",
    "Support sits at 230, where buyers stepped in three times.",
    "Resistance is at 265.",
    "A trendline from 232 to 258 tracks the higher lows, and the retracement from 265 down to 230 puts the 61.8% level near 251.6.",
  ]);
  assert.deepEqual(afterEach[0], ["LOAD:TSLA", "TIMEFRAME:1D"]);
  assert.deepEqual(afterEach[1], ["SUPPORT:230"]);
  assert.deepEqual(afterEach[2], ["RESISTANCE:265"]);
  assert.deepEqual(afterEach[3], ["TRENDLINE:232:258", "FIBONACCI:265:230"]);
  assert.deepEqual(buffer.pending, []);
});

test("speech: a sentence spoken while the text still streams releases what it mentions at once, the rest waits", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const clock = speechClock();
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech", onSentence: clock.onSentence });
  clock.attach(buffer);
  for (const e of await events(t)) {
    buffer.push(e);
    // The voice keeps up: each sentence is spoken as soon as it is complete.
    while (clock.queued() > 0) clock.speakNext();
  }
  assert.deepEqual(r.batches.flat(), ["LOAD:TSLA", "TIMEFRAME:1D", "SUPPORT:230", "RESISTANCE:265", "TRENDLINE:232:258", "FIBONACCI:265:230"]);
});

test("speech: cancel (barge-in) drops the commands of sentences not yet spoken", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const clock = speechClock();
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech", onSentence: clock.onSentence });
  clock.attach(buffer);
  for (const e of await events(t)) buffer.push(e);
  clock.speakNext();
  clock.speakNext();
  buffer.cancel();
  buffer.spoken(99);
  assert.deepEqual(r.batches.flat(), ["LOAD:TSLA", "TIMEFRAME:1D", "SUPPORT:230"]);
  assert.deepEqual(buffer.pending, []);
});

test("speech: spoken(Infinity) (speech ended or unavailable) releases everything left, in order", async () => {
  const t = transcript("model-indicator-before-load");
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech" });
  for (const e of await events(t)) buffer.push(e);
  buffer.spoken(Infinity);
  assert.deepEqual(r.batches.flat(), ["LOAD:NVDA", "TIMEFRAME:1D", "INDICATOR:BOLLINGER:ON", "PATTERN:ASCENDING_TRIANGLE:40:90", "ZOOM:IN"]);
});

test("speech: a command that arrives after the text goes with the first sentence core understands it from", async () => {
  const clock = speechClock();
  const r = recorder();
  const buffer = new ChartCommandBuffer({ onRelease: r.onRelease, pacing: "speech", onSentence: clock.onSentence });
  clock.attach(buffer);
  // LOAD:NVDA and TIMEFRAME:1D arrive after all three sentences; core reads NVDA from sentence 0
  // ("Nvidia is the chip maker …") and the daily timeframe from sentence 1, so each goes with its
  // sentence, and the indicator (waiting for both) with the second.
  for (const e of await events(transcript("model-indicator-before-load"))) buffer.push(e);
  clock.speakNext();
  assert.deepEqual(r.batches.splice(0), [["LOAD:NVDA"]]);
  clock.speakNext();
  assert.deepEqual(r.batches.splice(0).flat(), ["TIMEFRAME:1D", "INDICATOR:BOLLINGER:ON"]);
  // Pattern and zoom go with the sentence that was streaming when they arrived: the last one.
  assert.equal(clock.queued(), 1);
  clock.speakNext();
  assert.deepEqual(r.batches.splice(0).flat(), ["PATTERN:ASCENDING_TRIANGLE:40:90", "ZOOM:IN"]);
});
