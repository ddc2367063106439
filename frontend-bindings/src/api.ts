/**
 * The typed API over the eager wasm module, shared by the browser/bundler entry (`index.ts`) and
 * the node entry (`node.ts`). Each function forwards to the wasm export of the same name: no
 * validation, no chart logic here — chartgate-core (Rust, compiled to wasm) owns all of it.
 * The only things this layer adds are a clear error when a function is called before `init()`,
 * and `ToolCallReader`'s lifetime (a finished reader answers with a `ChartgateError` without
 * reaching wasm). `understand` is the other module: `@chartgate/chart-commands/understand`.
 */
import * as wasm from "../pkg/chartgate_wasm.js";
import { isReady } from "./state.js";
import { chartgateError } from "./errors.js";
import type {
  ChartObjects,
  IndicatorName,
  NormalizeFlags,
  Normalized,
  Parsed,
  ShapedAnswer,
  Timeframe,
} from "../pkg/chartgate_wasm.js";

export type {
  AssetType,
  ChartObjects,
  ChartType,
  Clear,
  ClearTarget,
  Command,
  CommandKind,
  Crosshair,
  CrosshairMode,
  Drawing,
  DrawingShape,
  DrawingStyle,
  Indicator,
  IndicatorName,
  IndicatorParams,
  Intent,
  Issue,
  IssueCode,
  Load,
  Mode,
  NormalizeFlags,
  Normalized,
  Overlay,
  Parsed,
  PathSegment,
  Pattern,
  Raw,
  Reset,
  ResetTarget,
  Scroll,
  Severity,
  ShapedAnswer,
  Source,
  Style,
  Timeframe,
  TimeframeChange,
  Understanding,
  Zoom,
  ZoomDirection,
} from "../pkg/chartgate_wasm.js";

export type { ChartgateError, ChartgateErrorCode } from "./errors.js";
export { isChartgateError } from "./errors.js";
export { isReady } from "./state.js";

function assertReady(): void {
  if (!isReady()) {
    throw chartgateError(
      "not_initialized",
      "@chartgate/chart-commands is not initialized: `await init()` once before calling it",
    );
  }
}

/**
 * Normalizes a chart-command payload: drop-in for the frontend function of the same name.
 * `input` is a legacy string, a list of them, an object with `chart_commands` /
 * `chart_commands_structured` / `chart_objects` (camelCase and short aliases accepted), or
 * nothing. Problems inside the payload come back in `issues`; it throws only for arguments that
 * are not JSON at all (cycles, BigInt), a non-string `responseText` or malformed `flags`.
 */
export function normalizeChartCommandPayload(
  input: unknown,
  responseText?: string | null,
  flags?: NormalizeFlags | null,
): Normalized {
  assertReady();
  return wasm.normalizeChartCommandPayload(input, responseText ?? null, flags ?? null);
}

/** Parses one legacy string (`"LOAD:TSLA"`, or several separated by spaces). */
export function parseLegacyCommand(text: string): Parsed {
  assertReady();
  return wasm.parseLegacyCommand(text);
}

/** Parses a list of legacy strings; issue paths start with the string's index. */
export function parseLegacyCommands(list: readonly string[]): Parsed {
  assertReady();
  return wasm.parseLegacyCommands(list as string[]);
}

/** Validates structured commands: the valid ones, canonicalized, and every issue. */
export function validateCommands(list: unknown): Parsed {
  assertReady();
  return wasm.validateCommands(list);
}

/** The canonical legacy string of a structured command; throws a `ChartgateError` if it is invalid. */
export function toLegacy(command: unknown): string {
  assertReady();
  return wasm.toLegacy(command);
}

/** Chart objects v2 from structured commands; throws a `ChartgateError` if any is invalid. */
export function buildChartObjects(commands: readonly unknown[]): ChartObjects {
  assertReady();
  return wasm.buildChartObjects(commands as unknown[]);
}

/**
 * An answer's chart commands in the shapes the two flags ask for, exactly as the server shapes its
 * answers: `chart_commands` is empty under `preferStructured`, `chart_objects` is present only with
 * `structuredObjects`. The commands must be valid and in execution order (`commands` of
 * `normalizeChartCommandPayload`); throws a `ChartgateError` if any is invalid.
 */
export function shapeAnswer(commands: readonly unknown[], flags?: NormalizeFlags | null): ShapedAnswer {
  assertReady();
  return wasm.shapeAnswer(commands as unknown[], flags ?? null);
}

/** The JSON Schema of `{ commands: [...] }` that the server hands to the model. */
export function chartCommandSchema(): Record<string, unknown> {
  assertReady();
  return wasm.chartCommandSchema();
}

/** Every canonical timeframe, for pickers (`"1m"` … `"MAX"`). */
export function timeframes(): Timeframe[] {
  assertReady();
  return wasm.timeframes();
}

/** Every canonical indicator name, for pickers. */
export function indicators(): IndicatorName[] {
  assertReady();
  return wasm.indicators();
}

/**
 * Reads the `chart_commands` tool's arguments as they stream in (a model's raw tool-call deltas):
 * `push(fragment)` returns the commands that fragment completed (validated exactly as by
 * `validateCommands`, issue paths starting with the command's index) and their issues; `finish()`
 * returns the issues about whatever was left incomplete. However the arguments are cut into
 * fragments, all pushes and the finish together equal the one-shot answer. Core's reader
 * (`chartgate_core::ToolCallReader`), so the server and the browser read a tool call the same way.
 *
 * One reader per tool call. After `finish()` (or `free()`), every call throws a `ChartgateError`
 * with code `reader_finished`. `finish()` releases the reader's wasm memory; call `free()` to drop
 * an unfinished one early (otherwise the garbage collector does).
 */
export class ToolCallReader {
  #inner: wasm.ToolCallReader | undefined;

  constructor() {
    assertReady();
    this.#inner = new wasm.ToolCallReader();
  }

  /** Feeds the next fragment of the arguments' text; the commands it completed and their issues. */
  push(fragment: string): Parsed {
    return this.#live().push(fragment);
  }

  /** Ends the arguments: issues about what was left incomplete (no commands, in practice). */
  finish(): Parsed {
    const inner = this.#live();
    this.#inner = undefined;
    try {
      return inner.finish();
    } finally {
      inner.free();
    }
  }

  /** Whether `finish()` or `free()` was called. */
  get finished(): boolean {
    return this.#inner === undefined;
  }

  /** Releases an unfinished reader's wasm memory now. */
  free(): void {
    this.#inner?.free();
    this.#inner = undefined;
  }

  #live(): wasm.ToolCallReader {
    if (this.#inner === undefined) {
      throw chartgateError(
        "reader_finished",
        "this ToolCallReader is finished; make a new one for the next tool call",
      );
    }
    return this.#inner;
  }
}
