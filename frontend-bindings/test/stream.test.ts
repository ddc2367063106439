/**
 * The stream client (`@chartgate/chart-commands/stream`, the packed package) against the
 * transcripts the server records (`tests/sse/`) and the client's own fixtures
 * (`test/transcripts/`), replayed by a local server behind a fault proxy: every event exactly
 * once and in order across drops at every event boundary, 5xx/429 retried with capped full-jitter
 * backoff, other 4xx not retried, abort mid-stream and mid-backoff, invalid commands surfaced as
 * issues. The same client against a real `chartgate serve`: stream-server.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ChartCommandBuffer, streamAsk, backoffCeiling, type StreamEvent, type StreamOptions } from "@chartgate/chart-commands/stream";
import {
  loadTranscripts,
  startFaultProxy,
  startReplayServer,
  transcript,
  type Fault,
  type FaultProxy,
  type Listening,
  type Seen,
  type Transcript,
  handDir,
  sseDir,
} from "./sse.js";

// Both sets: what the server records and the client's fixtures. Two of them may ask the same
// request (the fixture and the recording of "show me NVDA on the weekly with RSI"), so each
// transcript's own tests replay it from a server that holds it alone.
const transcripts = loadTranscripts([sseDir, handDir]);
let replay: Listening;
let upstream: string;
const alone = new Map<string, Listening>();

/** A replay server holding only `t`. */
async function replayOf(t: Transcript): Promise<string> {
  let server = alone.get(t.name);
  if (!server) {
    server = await startReplayServer([t]);
    alone.set(t.name, server);
  }
  return server.url;
}

before(async () => {
  replay = await startReplayServer(loadTranscripts());
  upstream = replay.url;
});
after(async () => {
  await replay.close();
  for (const s of alone.values()) await s.close();
});

/** No waiting in tests: backoff delays are recorded, not slept. */
function recordingSleep(delays: number[]): NonNullable<StreamOptions["retry"]>["sleep"] {
  return async (ms) => {
    delays.push(ms);
  };
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function withProxy<T>(plan: (n: number, seen: Seen) => Fault, f: (proxy: FaultProxy) => Promise<T>, to = upstream): Promise<T> {
  const proxy = await startFaultProxy(to, plan);
  try {
    return await f(proxy);
  } finally {
    await proxy.close();
  }
}

const answerIds = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "connection" ? [] : [e.id]));
const states = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "connection" ? [e.state] : []));

/**
 * The resume URL's path the client must use: the stream's id from `metadata`, and the caller's
 * `user_id`/`session_id` as query parameters (only the caller who started a stream may resume
 * it: docs/streaming.md, "Resume").
 */
function resumePath(events: StreamEvent[], t: Transcript): string {
  const meta = events.find((e) => e.type === "metadata");
  assert.ok(meta?.type === "metadata");
  const q = new URLSearchParams();
  if (typeof t.request["user_id"] === "string") q.set("user_id", t.request["user_id"]);
  if (typeof t.request["session_id"] === "string") q.set("session_id", t.request["session_id"]);
  return `/api/agent/stream/${meta.stream_id}${q.size > 0 ? `?${q}` : ""}`;
}

/** `actual` has every field of `expected` with the same value (objects recursively, arrays exactly). */
function assertSubset(actual: unknown, expected: unknown, path = "data"): void {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object`);
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

/** The delivered answer events match the transcript: same ids, in order, each `data` as a subset. */
function assertMatches(events: StreamEvent[], t: Transcript): void {
  const answer = events.filter((e) => e.type !== "connection");
  assert.deepEqual(answerIds(events), t.events.map((e) => e.id), `${t.name}: ids`);
  answer.forEach((e, k) => {
    const expected = t.events[k]!.data;
    if (expected["type"] === "chart_command") {
      assert.equal(e.type, "chart_command", `${t.name} #${e.id}`);
      if (e.type !== "chart_command") return;
      // The command the caller sees is core's reading of the wire command: here the same canonical one.
      assert.equal(e.command.legacy, expected["command"], `${t.name} #${e.id}: legacy`);
      assert.deepEqual(e.commands.length, 1);
      assertSubset(e.wire, { command: expected["command"], structured: expected["structured"], sequence: expected["sequence"] });
      assert.deepEqual(e.issues.filter((i) => i.severity === "error"), []);
    } else {
      assertSubset(e, expected, `${t.name} #${e.id}`);
    }
  });
}

test("the transcripts are consistent with core: each structured command is its own legacy string", async () => {
  const { normalizeChartCommandPayload } = await import("@chartgate/chart-commands");
  assert.ok(transcripts.filter((t) => t.dir === sseDir).length >= 6, "the server's recorded transcripts");
  assert.ok(transcripts.filter((t) => t.dir === handDir).length >= 4, "the client's fixtures");
  for (const t of transcripts) {
    assert.equal(t.events[0]?.data["type"], "metadata", `${t.name}: metadata first`);
    const last = t.events.at(-1)?.data["type"];
    assert.ok(last === "done" || last === "error", `${t.name}: ends with done or error`);
    t.events.forEach((e, k) => assert.equal(e.id, k + 1, `${t.name}: ids are 1, 2, 3, …`));
    for (const e of t.events.filter((x) => x.data["type"] === "chart_command")) {
      const n = normalizeChartCommandPayload({ chart_commands: [e.data["command"]], chart_commands_structured: [e.data["structured"]] });
      assert.deepEqual(n.issues, [], `${t.name} #${e.id}`);
      assert.deepEqual(n.commands.map((c) => c.legacy), [e.data["command"]], `${t.name} #${e.id}`);
      assert.deepEqual(n.commands[0], e.data["structured"], `${t.name} #${e.id}: structured is canonical`);
    }
  }
});

describe("every transcript", () => {
  for (const t of transcripts) {
    test(`${t.name}: replayed in order, exactly once, connecting → open → closed`, async () => {
      const events = await withProxy(() => ({ kind: "pass" }), (proxy) => collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request)), await replayOf(t));
      assertMatches(events, t);
      assert.deepEqual(states(events), ["connecting", "open", "closed"]);
    });

    test(`${t.name}: a drop at every event boundary resumes with Last-Event-ID and loses or repeats nothing`, async () => {
      for (let k = 0; k < t.events.length; k++) {
        const delays: number[] = [];
        const { events, seen } = await withProxy(
          (n) => (n === 0 ? { kind: "cut", events: k } : { kind: "pass" }),
          async (proxy) => ({
            events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { sleep: recordingSleep(delays) } })),
            seen: proxy.seen,
          }),
          await replayOf(t),
        );
        assertMatches(events, t);
        assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "open", "closed"], `cut after ${k}`);
        assert.equal(seen.length, 2, `cut after ${k}`);
        if (k === 0) {
          // Lost before the stream's id was known: the question is asked again.
          assert.equal(seen[1]!.method, "POST");
        } else {
          assert.equal(seen[1]!.method, "GET");
          assert.equal(seen[1]!.path, resumePath(events, t), `cut after ${k}`);
          assert.equal(seen[1]!.lastEventId, String(k));
        }
        assert.equal(delays.length, 1);
        assert.ok(delays[0]! >= 0 && delays[0]! < 1000, `first delay ${delays[0]} within the 1 s ceiling`);
      }
    });

    test(`${t.name}: every connection dropped after one event still delivers everything once`, async () => {
      const { events, seen } = await withProxy(
        () => ({ kind: "cut", events: 1 }),
        async (proxy) => ({
          events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { attempts: 2, sleep: recordingSleep([]) } })),
          seen: proxy.seen,
        }),
        await replayOf(t),
      );
      assertMatches(events, t);
      // Progress resets the attempt count, so two attempts suffice for any number of drops.
      assert.equal(seen.length, t.events.length);
      assert.deepEqual(seen.slice(1).map((s) => s.lastEventId), t.events.slice(0, -1).map((e) => String(e.id)));
    });
  }
});

test("a server that replays from the start on resume: duplicates are dropped by id", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const events = await withProxy(
    (n) => (n === 0 ? { kind: "cut", events: 5 } : { kind: "pass" }),
    (proxy) =>
      collect(
        streamAsk(`${proxy.url}/api/agent/stream`, t.request, {
          retry: { sleep: recordingSleep([]) },
          // The resume without its Last-Event-ID: the server sends everything again.
          fetch: (input, init) => {
            const headers = new Headers(init?.headers);
            if (init?.method === "GET") headers.delete("last-event-id");
            return fetch(input, { ...init, headers });
          },
        }),
      ),
  );
  assertMatches(events, t);
});

test("503 too_many_streams twice, then the stream: reconnecting states, Retry-After honoured, then everything", async () => {
  const t = transcript("fast-path-load-timeframe-indicator");
  const delays: number[] = [];
  const { events, seen } = await withProxy(
    (n) => (n < 2 ? { kind: "status", status: 503, code: "too_many_streams", retryAfter: 3 } : { kind: "pass" }),
    async (proxy) => ({
      events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { sleep: recordingSleep(delays) } })),
      seen: proxy.seen,
    }),
  );
  assertMatches(events, t);
  const reconnecting = events.filter((e) => e.type === "connection" && e.state === "reconnecting");
  assert.deepEqual(
    reconnecting.map((e) => e.type === "connection" && [e.attempt, e.delayMs, e.code, e.status]),
    [
      [1, 3000, "too_many_streams", 503],
      [2, 3000, "too_many_streams", 503],
    ],
  );
  assert.deepEqual(delays, [3000, 3000]);
  assert.deepEqual(seen.map((s) => s.method), ["POST", "POST", "POST"]);
});

test("5xx without Retry-After: full-jitter delays under 1, 2, 4, 8, 8 s ceilings, then failed with the last code", async () => {
  const t = transcript("fast-path-load-timeframe-indicator");
  const delays: number[] = [];
  const draws = [0.5, 0.999, 0.25, 0, 0.75];
  const events = await withProxy(
    () => ({ kind: "status", status: 502, code: "upstream_error" }),
    (proxy) =>
      collect(
        streamAsk(`${proxy.url}/api/agent/stream`, t.request, {
          retry: { attempts: 5, random: () => draws.shift() ?? 0, sleep: recordingSleep(delays) },
        }),
      ),
  );
  assert.deepEqual(delays, [500, 1998, 1000, 0, 6000]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffCeiling(a)), [1000, 2000, 4000, 8000, 8000, 8000]);
  const last = events.at(-1);
  assert.deepEqual(last, { type: "connection", state: "failed", attempt: 6, code: "upstream_error", status: 502, message: "injected by the test" });
  assert.deepEqual(answerIds(events), []);
});

test("a 4xx other than 429 is not retried; 429 is", async () => {
  const t = transcript("fast-path-load-timeframe-indicator");
  for (const [status, code] of [
    [422, "invalid_field"],
    [404, "stream_not_found"],
    [400, "malformed_json"],
  ] as const) {
    const { events, seen } = await withProxy(
      () => ({ kind: "status", status, code }),
      async (proxy) => ({
        events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { sleep: recordingSleep([]) } })),
        seen: proxy.seen,
      }),
    );
    assert.equal(seen.length, 1, `${status}`);
    assert.deepEqual(states(events), ["connecting", "failed"]);
    assert.deepEqual(events.at(-1), { type: "connection", state: "failed", attempt: 1, code, status, message: "injected by the test" });
  }
  const { events, seen } = await withProxy(
    (n) => (n === 0 ? { kind: "status", status: 429, code: "rate_limited" } : { kind: "pass" }),
    async (proxy) => ({
      events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { sleep: recordingSleep([]) } })),
      seen: proxy.seen,
    }),
  );
  assert.equal(seen.length, 2);
  assertMatches(events, t);
});

test("a stream that is gone on resume (404 stream_not_found) fails without retrying and without repeating events", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const events = await withProxy(
    (n) => (n === 0 ? { kind: "cut", events: 3 } : { kind: "status", status: 404, code: "stream_not_found" }),
    (proxy) => collect(streamAsk(`${proxy.url}/api/agent/stream`, t.request, { retry: { sleep: recordingSleep([]) } })),
  );
  assert.deepEqual(answerIds(events), [1, 2, 3]);
  assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "failed"]);
  const last = events.at(-1);
  assert.ok(last?.type === "connection" && last.code === "stream_not_found");
});

test("abort mid-stream: closed (aborted), nothing after it, no reconnection", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  const ctl = new AbortController();
  const { events, seen } = await withProxy(
    () => ({ kind: "stall", events: 3 }),
    async (proxy) => {
      const out: StreamEvent[] = [];
      for await (const e of streamAsk(`${proxy.url}/api/agent/stream`, t.request, { signal: ctl.signal })) {
        out.push(e);
        if (e.type !== "connection" && e.id === 3) ctl.abort();
      }
      return { events: out, seen: proxy.seen };
    },
  );
  assert.deepEqual(answerIds(events), [1, 2, 3]);
  assert.deepEqual(events.at(-1), { type: "connection", state: "closed", attempt: 0, aborted: true });
  assert.equal(seen.length, 1);
});

test("abort mid-backoff: the wait ends, closed (aborted), no second request", async () => {
  const t = transcript("fast-path-load-timeframe-indicator");
  const ctl = new AbortController();
  const { events, seen } = await withProxy(
    () => ({ kind: "status", status: 503, code: "too_many_streams" }),
    async (proxy) => {
      // The real timer-based wait, with a one-hour ceiling: only the abort can end it.
      const out: StreamEvent[] = [];
      for await (const e of streamAsk(`${proxy.url}/api/agent/stream`, t.request, {
        signal: ctl.signal,
        retry: { baseMs: 3_600_000, maxMs: 3_600_000, random: () => 0.5 },
      })) {
        out.push(e);
        if (e.type === "connection" && e.state === "reconnecting") setImmediate(() => ctl.abort());
      }
      return { events: out, seen: proxy.seen };
    },
  );
  assert.deepEqual(states(events), ["connecting", "reconnecting", "closed"]);
  assert.deepEqual(events.at(-1), { type: "connection", state: "closed", attempt: 1, aborted: true });
  assert.equal(seen.length, 1);
});

test("leaving the loop early cancels the request", async () => {
  const t = transcript("model-levels-trendline-fibonacci");
  await withProxy(
    () => ({ kind: "stall", events: 2 }),
    async (proxy) => {
      for await (const e of streamAsk(`${proxy.url}/api/agent/stream`, t.request)) {
        if (e.type === "metadata") break;
      }
      assert.equal(proxy.seen.length, 1);
    },
  );
});

test("an invalid chart_command surfaces as a command_issue, never as a command", async () => {
  const base = transcript("fast-path-load-timeframe-indicator");
  const bad: Transcript = {
    ...base,
    name: "invalid-command",
    request: { query: "invalid command (client test only)" },
    events: base.events.map((e) => {
      if (e.id === 3) {
        return { id: 3, data: { type: "chart_command", command: "TIMEFRAME:7X", structured: { type: "timeframe", payload: { value: "7X" }, description: null }, sequence: 2, total: 3 } };
      }
      if (e.data["type"] === "done") {
        // done's full list is what the server accepted: without the command it never had.
        const keep = (c: unknown) => !String(typeof c === "string" ? c : (c as { legacy: string }).legacy).startsWith("TIMEFRAME");
        const d = e.data as { chart_commands: unknown[]; chart_commands_structured: unknown[] };
        return { id: e.id, data: { ...e.data, chart_commands: d.chart_commands.filter(keep), chart_commands_structured: d.chart_commands_structured.filter(keep) } };
      }
      return e;
    }),
  };
  const server = await startReplayServer([bad]);
  try {
    const events = await collect(streamAsk(`${server.url}/api/agent/stream`, bad.request));
    assert.deepEqual(answerIds(events), [1, 2, 3, 4, 5, 6]);
    const third = events.find((e) => e.type !== "connection" && e.id === 3);
    assert.equal(third?.type, "command_issue");
    assert.ok(third?.type === "command_issue");
    assert.deepEqual([...new Set(third.issues.map((i) => [i.code, i.severity].join(":")))], ["invalid_timeframe:error"]);
    const commands = events.flatMap((e) => (e.type === "chart_command" ? [e.command.legacy] : []));
    assert.deepEqual(commands, ["LOAD:NVDA", "INDICATOR:RSI:ON"]);

    // The buffer takes the issue in its stride: the other two go out, in order, once.
    const released: string[] = [];
    const buffer = new ChartCommandBuffer({ onRelease: (cs) => released.push(...cs.map((c) => c.legacy)) });
    for (const e of events) buffer.push(e);
    assert.deepEqual(released, ["LOAD:NVDA", "INDICATOR:RSI:ON"]);
  } finally {
    await server.close();
  }
});

test("flags reach core: under preferStructured the done payload normalizes structured-first", async () => {
  const t = transcript("fast-path-load-timeframe-indicator");
  const events = await collect(streamAsk(`${replay.url}/api/agent/stream`, t.request, { flags: { preferStructured: true } }));
  const done = events.find((e) => e.type === "done");
  assert.ok(done?.type === "done");
  assert.equal(done.normalized.mode, "structured_first");
  assert.deepEqual(done.normalized.commands.map((c) => c.legacy), ["LOAD:NVDA", "TIMEFRAME:1W", "INDICATOR:RSI:ON"]);
});

test("callbacks see the same events as the iterator, in the same order", async () => {
  const t = transcript("model-indicator-before-load");
  const seen: string[] = [];
  const events = await collect(
    streamAsk(`${replay.url}/api/agent/stream`, t.request, {
      onEvent: (e) => seen.push(`${e.type}#${e.id}`),
      onConnection: (e) => seen.push(e.state),
    }),
  );
  assert.deepEqual(seen, events.map((e) => (e.type === "connection" ? e.state : `${e.type}#${e.id}`)));
});
