/**
 * The typed API over the wasm module, shared by the browser/bundler entry (`index.ts`) and the
 * node entry (`node.ts`). Each function forwards to the wasm export of the same name: no
 * validation, no chart logic here — chartgate-core (Rust, compiled to wasm) owns all of it.
 * The only thing this layer adds is a clear error when a function is called before `init()`.
 */
import * as wasm from "../pkg/chartgate_wasm.js";
import { isReady } from "./state.js";
import type {
  ChartObjects,
  IndicatorName,
  IssueCode,
  Issue,
  NormalizeFlags,
  Normalized,
  Parsed,
  PathSegment,
  ShapedAnswer,
  Timeframe,
  Understanding,
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

/** Codes of errors thrown by this package: core's issue codes plus two of the boundary's own. */
export type ChartgateErrorCode = IssueCode | "not_initialized" | "internal";

/**
 * What every function of this package throws: an `Error` with `name === "ChartgateError"`, a
 * stable `code`, the `path` of the offending argument or field, and, when it comes from
 * validation (`toLegacy`, `buildChartObjects`), every issue found.
 */
export interface ChartgateError extends Error {
  name: "ChartgateError";
  code: ChartgateErrorCode;
  path: PathSegment[];
  issues?: Issue[];
}

/** Whether `e` is an error thrown by this package. */
export function isChartgateError(e: unknown): e is ChartgateError {
  return e instanceof Error && e.name === "ChartgateError" && typeof (e as { code?: unknown }).code === "string";
}

export { isReady } from "./state.js";

function assertReady(): void {
  if (!isReady()) {
    const e = new Error(
      "@chartgate/chart-commands is not initialized: `await init()` once before calling it",
    ) as ChartgateError;
    e.name = "ChartgateError";
    e.code = "not_initialized";
    e.path = [];
    throw e;
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

/** Intent and chart commands understood from a plain-text request, with no model call. */
export function understand(text: string): Understanding {
  assertReady();
  return wasm.understand(text);
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
