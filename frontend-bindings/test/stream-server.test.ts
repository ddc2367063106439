/**
 * The stream client (`@chartgate/chart-commands/stream`, the packed package) against a REAL
 * `chartgate serve` (streaming a model answer from the real `chartgate-mock-openai` through
 * async-openai), with the fault proxy of sse.ts in between: a drop at every event boundary of a
 * real answer, every connection dropped after one event, a real 503 `too_many_streams` then
 * recovery, a 4xx not retried (a bad request; a stream gone on resume), abort mid-stream and
 * mid-backoff. Every answer is checked to arrive exactly once, in order, and equal to the one
 * received without faults.
 *
 * Processes: test/server.ts (binaries from `cargo build`, free loopback ports, stopped by PID).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { streamAsk, type AnswerEvent, type StreamEvent, type StreamOptions } from "@chartgate/chart-commands/stream";
import { configureMock, startChartgate, startMock, type Process } from "./server.js";
import { startFaultProxy, type Fault, type FaultProxy, type Seen } from "./sse.js";

/** The model's answer: text in 6-character pieces, then a tool call with three commands. */
const MODEL = {
  text: "TSLA has been ranging between 230 and 265 for three weeks; support held twice.",
  tool_arguments: JSON.stringify({
    commands: [
      { type: "load", payload: { symbol: "TSLA" } },
      { type: "drawing", payload: { style: "support", price: 230 } },
      { type: "drawing", payload: { style: "resistance", price: 265 } },
    ],
  }),
  fragment_chars: 6,
  chunk_interval_ms: 2,
};
const REQUEST = { query: "where are support and resistance for TSLA on the daily?", session_id: "client-test-1" };

const procs: Process[] = [];
let mock: Process;
let server: Process;
/** The answer received without faults: what every faulty run must deliver too. */
let reference: AnswerEvent[];

async function track<T extends Process>(p: Promise<T>): Promise<T> {
  const proc = await p;
  procs.push(proc);
  return proc;
}

before(async () => {
  mock = await track(startMock());
  await configureMock(mock, MODEL);
  server = await track(startChartgate({ CHARTGATE_PROVIDER: "openai", CHARTGATE_OPENAI_BASE_URL: mock.url }));
});
after(async () => {
  for (const p of procs.reverse()) await p.stop();
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** No waiting between attempts unless a test says so: the delays are recorded. */
function recordingSleep(delays: number[]): NonNullable<NonNullable<StreamOptions["retry"]>["sleep"]> {
  return async (ms) => {
    delays.push(ms);
  };
}

async function withProxy<T>(upstream: string, plan: (n: number, seen: Seen) => Fault, f: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(upstream, plan);
  try {
    return await f(proxy);
  } finally {
    await proxy.close();
  }
}

const answer = (events: StreamEvent[]) => events.filter((e): e is AnswerEvent => e.type !== "connection");
const states = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "connection" ? [e.state] : []));

/** An answer event without what differs between two answers to the same question. */
function stable(e: AnswerEvent): unknown {
  const rest: Record<string, unknown> = { ...e };
  for (const k of ["stream_id", "request_id", "session_id", "timestamp", "latency_ms"]) delete rest[k];
  return rest;
}

/**
 * Exactly once and in order: ids 1, 2, 3, … with no gap or repeat, one metadata first, one done
 * last, the text deltas adding up to done's text, the streamed commands being done's list (as sets:
 * done's list is in execution order), and the whole equal to the reference answer.
 */
function assertWhole(events: StreamEvent[], label: string): void {
  const a = answer(events);
  assert.deepEqual(a.map((e) => e.id), a.map((_, k) => k + 1), `${label}: ids`);
  assert.equal(a[0]?.type, "metadata", `${label}: metadata first`);
  const done = a.at(-1);
  assert.ok(done?.type === "done", `${label}: ends with done, got ${JSON.stringify(done)}`);
  assert.equal(a.filter((e) => e.type === "done" || e.type === "metadata").length, 2, `${label}: one metadata, one done`);
  assert.equal(a.flatMap((e) => (e.type === "content" ? [e.text] : [])).join(""), done.text, `${label}: text`);
  const streamed = a.flatMap((e) => (e.type === "chart_command" ? [e.command.legacy] : []));
  assert.deepEqual([...streamed].sort(), [...done.chart_commands].sort(), `${label}: commands`);
  assert.deepEqual(a.map(stable), reference.map(stable), `${label}: the same answer as without faults`);
}

test("a real model answer through the proxy, no faults: the reference", async () => {
  const events = await withProxy(server.url, () => ({ kind: "pass" }), (proxy) => collect(streamAsk(`${proxy.url}/api/agent/stream`, REQUEST)));
  assert.deepEqual(states(events), ["connecting", "open", "closed"]);
  reference = answer(events);
  const done = reference.at(-1);
  assert.ok(done?.type === "done");
  assert.equal(done.model, "gpt-4o-mini", "answered by the model (the mock), not offline");
  assert.equal(done.text, MODEL.text);
  assert.deepEqual(done.chart_commands, ["LOAD:TSLA", "TIMEFRAME:1D", "SUPPORT:230", "RESISTANCE:265"]);
  assert.ok(reference.filter((e) => e.type === "content").length >= 10, "the text streamed in pieces");
  assertWhole(events, "reference");
});

describe("drops", () => {
  test("a drop at every event boundary of a real answer: resumed with Last-Event-ID and ?session_id=, nothing lost or repeated", async () => {
    assert.ok(reference, "the reference answer ran first");
    for (let k = 0; k < reference.length; k++) {
      const delays: number[] = [];
      const { events, seen } = await withProxy(
        server.url,
        (n) => (n === 0 ? { kind: "cut", events: k } : { kind: "pass" }),
        async (proxy) => ({
          events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, REQUEST, { retry: { sleep: recordingSleep(delays) } })),
          seen: proxy.seen,
        }),
      );
      assertWhole(events, `cut after ${k}`);
      assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "open", "closed"], `cut after ${k}`);
      assert.equal(seen.length, 2, `cut after ${k}`);
      if (k === 0) {
        // Lost before the stream's id was known: the question is asked again (a new stream).
        assert.equal(seen[1]!.method, "POST");
      } else {
        const meta = answer(events)[0];
        assert.ok(meta?.type === "metadata");
        assert.equal(seen[1]!.method, "GET");
        assert.equal(seen[1]!.path, `/api/agent/stream/${meta.stream_id}?session_id=${REQUEST.session_id}`);
        assert.equal(seen[1]!.lastEventId, String(k));
      }
      assert.equal(delays.length, 1);
      assert.ok(delays[0]! >= 0 && delays[0]! < 1000, `cut after ${k}: first delay ${delays[0]} under the 1 s ceiling`);
    }
  });

  test("every connection dropped after one event, without a session or user id (the owner is the address): all of it, once", async () => {
    const request = { query: REQUEST.query };
    const { events, seen } = await withProxy(
      server.url,
      () => ({ kind: "cut", events: 1 }),
      async (proxy) => ({
        events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, request, { retry: { attempts: 2, sleep: recordingSleep([]) } })),
        seen: proxy.seen,
      }),
    );
    assertWhole(events, "one event per connection");
    assert.equal(seen.length, reference.length);
    assert.deepEqual(seen.slice(1).map((s) => s.lastEventId), reference.slice(0, -1).map((e) => String(e.id)));
    assert.ok(seen.slice(1).every((s) => s.method === "GET" && !s.path.includes("?")));
  });

  test("cuts in the middle of an event (not at a boundary): the partial event is never delivered, the resume sends it whole", async () => {
    // Where the body's bytes are cut: 1, 2, 3, … events' worth plus half of the next.
    // (The body is ASCII: characters are bytes.)
    const body = await (await fetch(`${server.url}/api/agent/stream`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(REQUEST) })).text();
    assert.equal(Buffer.byteLength(body), body.length);
    const ends = [...body.matchAll(/\n\n/g)].map((m) => m.index + 2);
    for (const cutAt of [5, ends[1]! + 7, ends[3]! + 20, ends.at(-2)! + 40]) {
      const events = await withProxy(
        server.url,
        (n) => (n === 0 ? { kind: "cutAt", bytes: cutAt } : { kind: "pass" }),
        (proxy) => collect(streamAsk(`${proxy.url}/api/agent/stream`, REQUEST, { retry: { sleep: recordingSleep([]) } })),
      );
      assertWhole(events, `cut at byte ${cutAt}`);
      assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "open", "closed"], `cut at byte ${cutAt}`);
    }
  });
});

test("503 too_many_streams from the real server, then recovery: Retry-After honoured, then the whole answer", async () => {
  // One stream at a time, and a model slow to start, so a second ask is refused while the first runs.
  const slow = await track(startMock());
  await configureMock(slow, { ...MODEL, latency_ms: 400 });
  const one = await track(startChartgate({ CHARTGATE_PROVIDER: "openai", CHARTGATE_OPENAI_BASE_URL: slow.url, CHARTGATE_STREAM__MAX_CONCURRENT: "1" }));
  const first = collect(streamAsk(`${one.url}/api/agent/stream`, REQUEST));
  // The first stream is running once its metadata is out; wait for it through a second client.
  const seenOpen = new Promise<void>((ok) => {
    void (async () => {
      for (;;) {
        const m = await fetch(`${one.url}/metrics`).then((r) => r.text());
        if (/^sse_connections_active\S* [1-9]/m.test(m)) return ok();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  });
  await seenOpen;
  const delays: number[] = [];
  const { events, seen } = await withProxy(
    one.url,
    () => ({ kind: "pass" }),
    async (proxy) => ({
      events: await collect(
        streamAsk(`${proxy.url}/api/agent/stream`, REQUEST, {
          // The wait: as long as the first stream runs (the delay asked is recorded).
          retry: {
            sleep: async (ms) => {
              delays.push(ms);
              await first;
              // The first answer's slot is freed when its task ends, just after its done is sent.
              await new Promise((r) => setTimeout(r, 200));
            },
          },
        }),
      ),
      seen: proxy.seen,
    }),
  );
  assertWhole(await first, "the first stream");
  assertWhole(events, "after the 503");
  const reconnecting = events.filter((e) => e.type === "connection" && e.state === "reconnecting");
  assert.deepEqual(
    reconnecting.map((e) => e.type === "connection" && [e.attempt, e.delayMs, e.code, e.status]),
    [[1, 1000, "too_many_streams", 503]],
  );
  assert.deepEqual(delays, [1000]);
  assert.deepEqual(seen.map((s) => s.method), ["POST", "POST"]);
});

describe("4xx: not retried", () => {
  test("a bad request (422 invalid_field): failed at once, one request", async () => {
    const { events, seen } = await withProxy(
      server.url,
      () => ({ kind: "pass" }),
      async (proxy) => ({
        events: await collect(streamAsk(`${proxy.url}/api/agent/stream`, { query: "   " }, { retry: { sleep: recordingSleep([]) } })),
        seen: proxy.seen,
      }),
    );
    assert.equal(seen.length, 1);
    assert.deepEqual(states(events), ["connecting", "failed"]);
    const last = events.at(-1);
    assert.ok(last?.type === "connection");
    assert.deepEqual([last.code, last.status], ["invalid_field", 422]);
    assert.match(last.message ?? "", /query/);
  });

  test("a stream gone when resumed (404 stream_not_found): failed, not retried, nothing repeated", async () => {
    // Finished streams are kept 50 ms (swept about once a second); the client comes back after 2.5 s.
    const brief = await track(startChartgate({ CHARTGATE_STREAM__RETAIN_MS: "50" }));
    const offline = { query: "show me NVDA on the weekly with RSI", session_id: "client-test-gone" };
    const { events, seen } = await withProxy(
      brief.url,
      (n) => (n === 0 ? { kind: "cut", events: 3 } : { kind: "pass" }),
      async (proxy) => ({
        events: await collect(
          streamAsk(`${proxy.url}/api/agent/stream`, offline, { retry: { sleep: () => new Promise((r) => setTimeout(r, 2500)) } }),
        ),
        seen: proxy.seen,
      }),
    );
    assert.deepEqual(answer(events).map((e) => e.id), [1, 2, 3]);
    assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "failed"]);
    const last = events.at(-1);
    assert.ok(last?.type === "connection");
    assert.deepEqual([last.code, last.status], ["stream_not_found", 404]);
    assert.deepEqual(seen.map((s) => s.method), ["POST", "GET"]);
  });
});

describe("abort", () => {
  test("mid-stream: closed (aborted), nothing after it, no reconnection", async () => {
    const ctl = new AbortController();
    const { events, seen } = await withProxy(
      server.url,
      () => ({ kind: "pass" }),
      async (proxy) => {
        const out: StreamEvent[] = [];
        for await (const e of streamAsk(`${proxy.url}/api/agent/stream`, REQUEST, { signal: ctl.signal })) {
          out.push(e);
          if (e.type === "content" && !ctl.signal.aborted) ctl.abort();
        }
        return { events: out, seen: proxy.seen };
      },
    );
    const a = answer(events);
    assert.equal(a.at(-1)?.type, "content", "nothing after the event that aborted");
    assert.deepEqual(a.map((e) => e.id), a.map((_, k) => k + 1));
    assert.deepEqual(states(events), ["connecting", "open", "closed"]);
    assert.deepEqual(events.at(-1), { type: "connection", state: "closed", attempt: 0, aborted: true });
    assert.equal(seen.length, 1);
  });

  test("mid-backoff: the real timer's wait ends at once, closed (aborted), no second request", async () => {
    const ctl = new AbortController();
    const started = Date.now();
    const { events, seen } = await withProxy(
      server.url,
      () => ({ kind: "cut", events: 2 }),
      async (proxy) => {
        const out: StreamEvent[] = [];
        for await (const e of streamAsk(`${proxy.url}/api/agent/stream`, REQUEST, {
          signal: ctl.signal,
          // A one-hour ceiling with the default timer: only the abort can end the wait.
          retry: { baseMs: 3_600_000, maxMs: 3_600_000, random: () => 0.5 },
        })) {
          out.push(e);
          if (e.type === "connection" && e.state === "reconnecting") setImmediate(() => ctl.abort());
        }
        return { events: out, seen: proxy.seen };
      },
    );
    assert.deepEqual(answer(events).map((e) => e.id), [1, 2]);
    assert.deepEqual(states(events), ["connecting", "open", "reconnecting", "closed"]);
    assert.deepEqual(events.at(-1), { type: "connection", state: "closed", attempt: 1, aborted: true });
    assert.equal(seen.length, 1);
    assert.ok(Date.now() - started < 60_000);
  });
});
