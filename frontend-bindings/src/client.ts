/**
 * The stream client: `streamAsk` POSTs a question to `/api/agent/stream`, parses the SSE body
 * with `eventsource-parser`, and yields the answer's events exactly once, in order, across
 * reconnections (resume with `GET {url}/{stream_id}` + `Last-Event-ID`, docs/streaming.md).
 *
 * Owns: the connection (fetch, retries, backoff, abort) and turning wire events into typed ones.
 * Must not: decide what a chart command means. Every `chart_command` goes through core
 * (`normalizeChartCommandPayload`, the wasm module) before the caller sees it.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { NormalizeFlags } from "../pkg/chartgate_wasm.js";
import { normalizeChartCommandPayload } from "./api.js";
import { init } from "./index.js";
import { isReady } from "./state.js";
import type {
  AnswerEvent,
  AskRequest,
  ChartCommandWire,
  ConnectionEvent,
  ConnectionState,
  StreamEvent,
} from "./events.js";

/** How failed connections are retried. */
export interface RetryOptions {
  /** Consecutive failed attempts retried before giving up (default 5); progress resets the count. */
  attempts?: number;
  /** First backoff ceiling in ms (default 1000); doubles per attempt: 1, 2, 4, 8 s. */
  baseMs?: number;
  /** Backoff ceiling cap in ms (default 8000). */
  maxMs?: number;
  /** `[0, 1)`, for full jitter (default `Math.random`): the delay is `random() * ceiling`. */
  random?: () => number;
  /** Waits `ms` or until `signal` aborts, whichever is first (default `setTimeout`). Tests inject it. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface StreamOptions {
  /** Cancels the stream (mid-request, mid-stream or mid-backoff): it ends with `closed`, `aborted: true`. */
  signal?: AbortSignal;
  /** The rollout flags, passed to core when normalizing each command and the `done` payload. */
  flags?: NormalizeFlags;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  retry?: RetryOptions;
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
  /** Called with each answer event just before it is yielded. */
  onEvent?: (event: AnswerEvent) => void;
  /** Called with each connection state just before it is yielded. */
  onConnection?: (event: ConnectionEvent) => void;
}

/** The backoff ceiling of a 1-based attempt: `baseMs * 2^(attempt-1)`, capped at `maxMs`. */
export function backoffCeiling(attempt: number, baseMs = 1000, maxMs = 8000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Why an attempt ended without the answer's end. */
interface Failure {
  code: string;
  status?: number;
  message: string;
  retryable: boolean;
  /** Seconds, from `Retry-After`. */
  retryAfter?: number;
}

class ProtocolError extends Error {}

/**
 * Asks `request` at `url` (the stream endpoint, `…/api/agent/stream`) and yields connection
 * states and the answer's events. The stream runs while it is iterated (callbacks fire as it is
 * consumed: `for await (const _ of streamAsk(…, { onEvent }));` to use callbacks alone); leaving
 * the loop early cancels it. It never throws for network or server failures: they end it with
 * a `failed` connection event.
 */
export function streamAsk(
  url: string | URL,
  request: AskRequest,
  options: StreamOptions = {},
): AsyncGenerator<StreamEvent, void, undefined> {
  return run(String(url).replace(/\/+$/, ""), request, options);
}

async function* run(base: string, request: AskRequest, o: StreamOptions): AsyncGenerator<StreamEvent, void, undefined> {
  const attempts = o.retry?.attempts ?? 5;
  const baseMs = o.retry?.baseMs ?? 1000;
  const maxMs = o.retry?.maxMs ?? 8000;
  const random = o.retry?.random ?? Math.random;
  const sleep = o.retry?.sleep ?? defaultSleep;
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  const flags = o.flags ?? null;

  // One controller for everything this stream starts; the caller's signal and an early `return()`
  // of the iterator both abort it.
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  if (o.signal?.aborted) ctl.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });

  const connection = (state: ConnectionState, extra: Partial<ConnectionEvent> = {}): ConnectionEvent => {
    const e: ConnectionEvent = { type: "connection", state, attempt: failures, ...extra };
    o.onConnection?.(e);
    return e;
  };
  const answer = (e: AnswerEvent): AnswerEvent => {
    o.onEvent?.(e);
    return e;
  };

  let streamId: string | undefined;
  let lastId = 0;
  let failures = 0;

  try {
    if (!isReady()) await init();
    yield connection("connecting");
    for (;;) {
      if (ctl.signal.aborted) {
        yield connection("closed", { aborted: true });
        return;
      }
      let failure: Failure;
      let progressed = false;
      try {
        const res = await doFetch(...requestFor(base, request, streamId, lastId, o.headers, ctl.signal));
        if (!res.ok) {
          failure = await refusal(res);
        } else if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream") || !res.body) {
          await res.body?.cancel();
          failure = { code: "protocol_error", status: res.status, message: `not an event stream: ${res.headers.get("content-type")}`, retryable: false };
        } else {
          yield connection("open", { status: res.status });
          let terminal = false;
          for await (const message of messages(res.body)) {
            const id = Number(message.id);
            if (message.id === undefined || !Number.isSafeInteger(id) || id < 1) {
              throw new ProtocolError(`event without a valid id: ${JSON.stringify(message.id)}`);
            }
            if (id <= lastId) continue; // replayed: already delivered
            const event = toEvent(id, message.data, flags);
            lastId = id;
            progressed = true;
            if (event === null) continue; // a type this client does not know (a newer server)
            if (event.type === "metadata") streamId = event.stream_id;
            yield answer(event);
            if (ctl.signal.aborted) break; // the caller aborted while handling it
            if (event.type === "done" || event.type === "error") {
              terminal = true;
              break;
            }
          }
          if (ctl.signal.aborted) {
            yield connection("closed", { aborted: true });
            return;
          }
          if (terminal) {
            ctl.abort(); // releases the body if the server sent more after the end
            yield connection("closed");
            return;
          }
          failure = { code: "connection_lost", message: "the stream ended before done or error", retryable: true };
        }
      } catch (e) {
        if (ctl.signal.aborted) {
          yield connection("closed", { aborted: true });
          return;
        }
        failure =
          e instanceof ProtocolError
            ? { code: "protocol_error", message: e.message, retryable: false }
            : { code: progressed || streamId ? "connection_lost" : "network_error", message: String(e), retryable: true };
      }

      if (progressed) failures = 0;
      failures++;
      const { code, status, message } = failure;
      if (!failure.retryable || failures > attempts) {
        yield connection("failed", { code, ...(status === undefined ? {} : { status }), message });
        return;
      }
      const delayMs =
        failure.retryAfter !== undefined
          ? failure.retryAfter * 1000
          : Math.floor(random() * backoffCeiling(failures, baseMs, maxMs));
      yield connection("reconnecting", { delayMs, code, ...(status === undefined ? {} : { status }), message });
      await sleep(delayMs, ctl.signal);
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    ctl.abort();
  }
}

/** The first request POSTs the question; once the stream's id is known, a GET resumes it. */
function requestFor(
  base: string,
  request: AskRequest,
  streamId: string | undefined,
  lastId: number,
  headers: Record<string, string> | undefined,
  signal: AbortSignal,
): [string, RequestInit] {
  if (streamId === undefined) {
    return [
      base,
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
        body: JSON.stringify(request),
        signal,
      },
    ];
  }
  // Only the caller who started a stream may resume it: the same user_id, else session_id.
  const query = new URLSearchParams();
  if (request.user_id) query.set("user_id", request.user_id);
  if (request.session_id) query.set("session_id", request.session_id);
  const qs = query.size > 0 ? `?${query}` : "";
  return [
    `${base}/${encodeURIComponent(streamId)}${qs}`,
    {
      method: "GET",
      headers: { accept: "text/event-stream", ...(lastId > 0 ? { "last-event-id": String(lastId) } : {}), ...headers },
      signal,
    },
  ];
}

/** A non-2xx answer: its JSON error code; 5xx and 429 are retried, other 4xx are not. */
async function refusal(res: Response): Promise<Failure> {
  let code = `http_${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // not the JSON error body: keep the status
  }
  const retryAfterHeader = res.headers.get("retry-after");
  const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  const failure: Failure = { code, status: res.status, message, retryable: res.status >= 500 || res.status === 429 };
  if (retryAfter !== undefined) failure.retryAfter = retryAfter;
  return failure;
}

/** The SSE messages of a body, as eventsource-parser reads them. */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => queue.push(m) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift()!;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** One wire event → its typed form; chart commands through core. */
function toEvent(id: number, data: string, flags: NormalizeFlags | null): AnswerEvent | null {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(data) as Record<string, unknown>;
  } catch {
    throw new ProtocolError(`event ${id}: data is not JSON`);
  }
  if (d === null || typeof d !== "object" || Array.isArray(d)) throw new ProtocolError(`event ${id}: data is not an object`);
  switch (d["type"]) {
    case "metadata":
      if (typeof d["stream_id"] !== "string") throw new ProtocolError(`event ${id}: metadata without a stream_id`);
      return { ...d, type: "metadata", id } as AnswerEvent;
    case "content":
      return { type: "content", id, text: typeof d["text"] === "string" ? d["text"] : "" };
    case "chart_command": {
      const wire: ChartCommandWire = { command: d["command"], structured: d["structured"], sequence: Number(d["sequence"]) };
      if (typeof d["total"] === "number") wire.total = d["total"];
      const normalized = normalizeChartCommandPayload(
        {
          chart_commands: wire.command === undefined || wire.command === null ? [] : [wire.command],
          chart_commands_structured: wire.structured === undefined || wire.structured === null ? [] : [wire.structured],
        },
        null,
        flags,
      );
      const base = { id, sequence: wire.sequence, ...(wire.total === undefined ? {} : { total: wire.total }), issues: normalized.issues, wire };
      const [command] = normalized.commands;
      return command === undefined
        ? { type: "command_issue", ...base }
        : { type: "chart_command", ...base, command, commands: normalized.commands };
    }
    case "done": {
      const payload = {
        chart_commands: d["chart_commands"] ?? [],
        chart_commands_structured: d["chart_commands_structured"] ?? [],
        ...(d["chart_objects"] === undefined ? {} : { chart_objects: d["chart_objects"] }),
      };
      const normalized = normalizeChartCommandPayload(payload, typeof d["text"] === "string" ? d["text"] : null, flags);
      return { ...d, type: "done", id, normalized } as AnswerEvent;
    }
    case "error":
      return { ...d, type: "error", id, code: String(d["code"] ?? "internal"), message: String(d["message"] ?? "") } as AnswerEvent;
    default:
      return null;
  }
}
