/**
 * `ChartgateError`, what every function of this package throws, shared by both entries (the eager
 * module's `.` and the understand module's `./understand`). The wasm modules make their own errors
 * (`chartgate-wasm-bridge`); this file makes the ones thrown before wasm is reached.
 */
import type { IssueCode, Issue, PathSegment } from "../pkg/chartgate_wasm.js";

/**
 * Codes of errors thrown by this package: core's issue codes plus the boundary's own
 * (`not_initialized`: called before `init()`; `reader_finished`: a `ToolCallReader` used after
 * `finish()`; `internal`: a bug in chartgate).
 */
export type ChartgateErrorCode = IssueCode | "not_initialized" | "reader_finished" | "internal";

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

/** A `ChartgateError` with `code` and an empty path. @internal */
export function chartgateError(code: ChartgateErrorCode, message: string): ChartgateError {
  const e = new Error(message) as ChartgateError;
  e.name = "ChartgateError";
  e.code = code;
  e.path = [];
  return e;
}
