/**
 * Test helpers for the stream client: the `tests/sse/*.json` transcripts (docs/streaming.md,
 * "Transcripts"), a server on 127.0.0.1 that replays them as `/api/agent/stream` would (POST,
 * resume by GET + `Last-Event-ID`), and a fault proxy that sits in front of any stream endpoint
 * (the replay server here; a real `chartgate serve` later) and, per connection, refuses with a
 * status or cuts the connection after N events, always at an event boundary.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { repoDir } from "./helpers.js";

/** The server-recorded transcripts (asserted by `server/tests/stream_transcripts.rs`). */
export const sseDir = join(repoDir, "tests", "sse");
/**
 * Client-only fixtures written by hand, in the same format, for answers the recorded transcripts
 * do not cover yet (an indicator before its load, levels sent twice): the server's tests do not
 * assert these.
 */
export const handDir = join(repoDir, "frontend-bindings", "test", "transcripts");

export interface TranscriptEvent {
  id: number;
  data: Record<string, unknown>;
}

export interface Transcript {
  name: string;
  /** The directory it was read from (`sseDir` or `handDir`). */
  dir: string;
  description: string;
  request: Record<string, unknown> & { query: string };
  events: TranscriptEvent[];
}

/** Every transcript in `dirs` (the hand-written fixtures first, so a query they share resolves to the fixture, then the recorded ones), by file name (without `.json`), sorted. */
export function loadTranscripts(dirs = [handDir, sseDir]): Transcript[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => {
        const t = JSON.parse(readFileSync(join(dir, f), "utf8")) as Omit<Transcript, "name">;
        return { ...t, name: f.slice(0, -".json".length), dir };
      }),
  );
}

export function transcript(name: string): Transcript {
  const t = loadTranscripts().find((x) => x.name === name);
  if (!t) throw new Error(`no transcript ${name} in ${sseDir} or ${handDir}`);
  return t;
}

/** The fields a transcript leaves out (they change from run to run), filled in for a replay. */
function complete(data: Record<string, unknown>, streamId: string): Record<string, unknown> {
  const ids = { request_id: `req_${streamId}`, session_id: `sess_${streamId}` };
  switch (data["type"]) {
    case "metadata":
      return { stream_id: streamId, ...ids, model: "offline", intent: "general_query", tier: "offline", version: "0.0.0-replay", cached: false, ...data };
    case "done":
      return {
        text: "", model: "offline", intent: "general_query", tier: "offline", cached: false, ...ids,
        timestamp: "2026-12-04T00:00:00.000Z", latency_ms: 1, chart_commands: [], chart_commands_structured: [],
        usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0 }, cost_usd: 0,
        flags: { PREFER_STRUCTURED_CHART_COMMANDS: false, ENABLE_STRUCTURED_CHART_OBJECTS: false },
        ...data,
      };
    case "error":
      return { request_id: ids.request_id, message: "", ...data };
    default:
      return data;
  }
}

/** One SSE message, as the server writes it. */
export function sseMessage(id: number, data: unknown): string {
  return `id: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function errorBody(code: string, message: string): unknown {
  return { error: { code, message, request_id: "req_replay" } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

export interface ReplayOptions {
  /** Awaited before each event is written (`index` 0-based within the transcript): lets a test pace the stream. */
  before?: (index: number, t: Transcript) => Promise<void>;
  /** Serves this directory's files for every other GET (a built page next to its API: one origin). */
  staticDir?: string;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

function serveFile(res: ServerResponse, root: string, pathname: string): void {
  const base = resolve(root);
  let file = normalize(join(base, decodeURIComponent(pathname)));
  if (!(file === base || file.startsWith(base + sep))) return void res.writeHead(403).end();
  try {
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(file));
  } catch {
    sendJson(res, 404, errorBody("not_found", "no such file"));
  }
}

export interface Listening {
  url: string;
  close: () => Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
}

/** JSON equality of two parsed values (object keys in any order). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Who may resume a stream, as the server decides it (docs/streaming.md, "Resume"): the same
 * `user_id`, else the same `session_id` (the POST's body; the resume GET's query parameters),
 * else the client address (always loopback here).
 */
function ownerOf(ids: { user_id?: unknown; session_id?: unknown }): string {
  if (typeof ids.user_id === "string" && ids.user_id) return `user:${ids.user_id}`;
  if (typeof ids.session_id === "string" && ids.session_id) return `session:${ids.session_id}`;
  return "address";
}

/**
 * Replays transcripts at `{url}/api/agent/stream`: a POST picks the first transcript whose
 * `request` fields all have the body's values (every field, not the query alone: two transcripts
 * may share a query and differ in their `session_id`; the body may carry more, such as the demo
 * page's `chart_context`; 404 `not_found` if none); `GET …/{stream_id}?user_id=…&session_id=…` with
 * `Last-Event-ID: N` replays the events after N. As the server does: a resume by another caller
 * than the one who started the stream is 404 `stream_not_found` like an unknown id, and a bad
 * `Last-Event-ID` is 422 `invalid_field` (docs/streaming.md).
 */
export async function startReplayServer(transcripts: Transcript[], options: ReplayOptions = {}): Promise<Listening> {
  const streams = new Map<string, { t: Transcript; owner: string }>();
  let next = 1;
  const stream = async (res: ServerResponse, t: Transcript, streamId: string, after: number) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": keep-alive\n\n");
    for (const [index, e] of t.events.entries()) {
      if (e.id <= after) continue;
      await options.before?.(index, t);
      if (res.destroyed) return;
      res.write(sseMessage(e.id, complete(e.data, streamId)));
    }
    res.end();
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      if (req.method === "POST" && url.pathname === "/api/agent/stream") {
        const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
        const t = transcripts.find((x) => Object.entries(x.request).every(([k, v]) => sameJson(body[k], v)));
        if (!t) return sendJson(res, 404, errorBody("not_found", "no transcript for this request"));
        const streamId = `strm_${next++}`;
        streams.set(streamId, { t, owner: ownerOf(body) });
        return stream(res, t, streamId, 0);
      }
      const m = /^\/api\/agent\/stream\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        const streamId = decodeURIComponent(m[1]!);
        const held = streams.get(streamId);
        const caller = ownerOf({ user_id: url.searchParams.get("user_id"), session_id: url.searchParams.get("session_id") });
        if (!held || held.owner !== caller) return sendJson(res, 404, errorBody("stream_not_found", "no such stream"));
        const { t } = held;
        const header = req.headers["last-event-id"];
        const last = header === undefined ? 0 : Number(header);
        const maxId = t.events.at(-1)?.id ?? 0;
        if (typeof header === "string" && (!/^\d+$/.test(header) || last > maxId)) {
          return sendJson(res, 422, errorBody("invalid_field", "Last-Event-ID: not a decimal number within the stream"));
        }
        return stream(res, t, streamId, last);
      }
      if (req.method === "GET" && options.staticDir) return serveFile(res, options.staticDir, url.pathname);
      sendJson(res, 404, errorBody("not_found", "no such route"));
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody("internal", String(e)));
      else res.destroy();
    });
  });
  return { url: await listen(server), close: closer(server) };
}

/** What the fault proxy does with one connection (`n`, 0-based, in arrival order). */
export type Fault =
  | { kind: "pass" }
  /** Answers this status with the JSON error body (and `Retry-After` if given), never reaching upstream. */
  | { kind: "status"; status: number; code: string; retryAfter?: number }
  /** Forwards, then destroys the connection right after the `events`-th event (0: before the first). */
  | { kind: "cut"; events: number }
  /** Forwards `events` events, then holds the connection open (no more bytes) until the test ends. */
  | { kind: "stall"; events: number }
  /**
   * Forwards the response's status and headers, then `bytes` bytes of its body (anywhere:
   * mid-line, mid-event), then ends the connection without the body's end. Past the body's end
   * it is a pass.
   */
  | { kind: "cutAt"; bytes: number }
  /** Destroys the client's connection without an answer (the request never reaches upstream). */
  | { kind: "reset" };

export interface Seen {
  method: string;
  path: string;
  lastEventId: string | undefined;
  body: string;
}

export interface FaultProxy extends Listening {
  /** Every request that reached the proxy, in order. */
  seen: Seen[];
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `upstream` (a base URL such as the replay server's or a
 * real server's) that applies `plan(n)` to its n-th connection. Cuts happen only between SSE
 * messages: upstream bytes are forwarded one complete message (up to a blank line) at a time.
 */
export async function startFaultProxy(upstream: string, plan: (n: number, seen: Seen) => Fault): Promise<FaultProxy> {
  const seen: Seen[] = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const header = req.headers["last-event-id"];
      const s: Seen = { method: req.method ?? "", path: req.url ?? "", lastEventId: typeof header === "string" ? header : undefined, body };
      seen.push(s);
      const fault = plan(seen.length - 1, s);
      if (fault.kind === "reset") return void req.socket.destroy();
      if (fault.kind === "status") {
        return sendJson(res, fault.status, errorBody(fault.code, "injected by the test"), fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) });
      }
      const headers = { ...req.headers, host: target.host };
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        const limit = fault.kind === "cut" || fault.kind === "stall" ? fault.events : Infinity;
        let events = 0;
        let pending = "";
        let stopped = false;
        const stop = () => {
          stopped = true;
          upRes.destroy();
          // A cut: what was written is delivered, then the connection ends without the chunked
          // body's terminator (the client sees a premature close). A stall: nothing more, ever.
          if (fault.kind === "cut" || fault.kind === "cutAt") res.socket?.end();
        };
        // Byte for byte (the page's scripts and wasm pass through here too).
        if (fault.kind === "pass") return void upRes.pipe(res);
        if (fault.kind === "cutAt") {
          let budget = fault.bytes;
          if (budget <= 0) return stop();
          upRes.on("data", (chunk: Buffer) => {
            if (stopped) return;
            res.write(chunk.subarray(0, budget));
            budget -= chunk.length;
            if (budget <= 0) stop();
          });
          upRes.on("end", () => {
            if (!stopped) res.end();
          });
          return;
        }
        if (limit === 0) return stop();
        upRes.setEncoding("utf8");
        upRes.on("data", (chunk: string) => {
          if (stopped) return;
          pending += chunk;
          let end: number;
          while ((end = pending.indexOf("\n\n")) >= 0) {
            const message = pending.slice(0, end + 2);
            pending = pending.slice(end + 2);
            res.write(message);
            if (/^id:/m.test(message) && ++events >= limit) return stop();
          }
        });
        upRes.on("end", () => {
          if (!stopped) res.end(pending);
        });
      });
      up.on("error", () => res.destroy());
      up.end(body);
    })();
  });
  return { url: await listen(server), close: closer(server), seen };
}
