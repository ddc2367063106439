/**
 * The types of a streamed answer (docs/streaming.md) as the stream client delivers them: the
 * server's events, each with its SSE `id`, and the client's own connection states. Types only.
 *
 * Chart commands arrive normalized by core (the wasm module): `Command` and `Issue` are the
 * generated types, never re-declared here.
 */
import type { Command, Intent, Issue, Normalized } from "../pkg/chartgate_wasm.js";

/** The body of `POST /api/agent/stream` (the same as `POST /ask`, docs/server-api.md). */
export interface AskRequest {
  query: string;
  conversation_history?: { role: "user" | "assistant"; content: string }[];
  session_id?: string;
  user_id?: string;
  chart_context?: { symbol?: string; timeframe?: string };
}

/** The first event of every answer. */
export interface MetadataEvent {
  type: "metadata";
  id: number;
  stream_id: string;
  request_id: string;
  session_id: string;
  /** The model the route picked; `offline` for core's fast path and the offline provider. */
  model: string;
  intent: Intent;
  tier: string;
  version: string;
  cached: boolean;
}

/** The next piece of the answer's text. */
export interface ContentEvent {
  type: "content";
  id: number;
  text: string;
}

/** What the server sent for one chart command, before normalization. */
export interface ChartCommandWire {
  command?: unknown;
  structured?: unknown;
  sequence: number;
  total?: number;
}

/**
 * One chart command, normalized by core: `command` is what the chart should execute.
 * `commands` has more than one entry only when the wire's legacy string and structured command
 * disagree (both valid); `issues` holds core's warnings (and errors about the half that was
 * dropped).
 */
export interface ChartCommandEvent {
  type: "chart_command";
  id: number;
  sequence: number;
  total?: number;
  command: Command;
  commands: Command[];
  issues: Issue[];
  wire: ChartCommandWire;
}

/** A `chart_command` event core found no valid command in: surfaced, never executed. */
export interface CommandIssueEvent {
  type: "command_issue";
  id: number;
  sequence: number;
  total?: number;
  issues: Issue[];
  wire: ChartCommandWire;
}

/** Token counts of an answer. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
}

/** The answer ended well: every field of the JSON answer, plus core's reading of its commands. */
export interface DoneEvent {
  type: "done";
  id: number;
  text: string;
  model: string;
  intent: Intent;
  tier: string;
  cached: boolean;
  request_id: string;
  session_id: string;
  timestamp: string;
  latency_ms: number;
  chart_commands: string[];
  chart_commands_structured: unknown[];
  chart_objects?: unknown;
  usage: Usage;
  cost_usd: number;
  flags: Record<string, boolean>;
  /** `normalizeChartCommandPayload(done, done.text, flags)`: the full list in execution order. */
  normalized: Normalized;
}

/** The answer ended with an error (the server's stable `code`). */
export interface AnswerErrorEvent {
  type: "error";
  id: number;
  code: string;
  message: string;
  request_id: string;
  /** Seconds, when retrying the request makes sense. */
  retry_after?: number;
}

/** An event of the answer itself, in the server's order, each exactly once. */
export type AnswerEvent =
  | MetadataEvent
  | ContentEvent
  | ChartCommandEvent
  | CommandIssueEvent
  | DoneEvent
  | AnswerErrorEvent;

/** The connection's state, for a UI indicator. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed" | "failed";

/**
 * A change of the connection's state (the client's, not the server's: no `id`).
 * - `connecting`: the first request is on its way;
 * - `open`: a response is streaming (after each successful (re)connection);
 * - `reconnecting`: the connection failed; the next attempt (`attempt`, 1-based) starts after
 *   `delayMs`; `code`/`status` say what failed;
 * - `closed`: the end: after `done` or `error`, or `aborted` by the caller's signal;
 * - `failed`: the end without an answer: `code` is the server's error code for a refused request
 *   (a 4xx other than 429, or the last 5xx), `network_error`, `connection_lost` or `protocol_error`.
 */
export interface ConnectionEvent {
  type: "connection";
  state: ConnectionState;
  attempt: number;
  delayMs?: number;
  code?: string;
  status?: number;
  message?: string;
  aborted?: boolean;
}

/** What `streamAsk` yields. */
export type StreamEvent = AnswerEvent | ConnectionEvent;
