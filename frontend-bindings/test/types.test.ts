/**
 * Type-level tests: compiled by tsc against the packed package's .d.ts (the `types` export), so a
 * wrong or missing type fails the build of the tests. The runtime part only checks the narrowing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  normalizeChartCommandPayload,
  parseLegacyCommand,
  timeframes,
  type ChartgateErrorCode,
  type Command,
  type IssueCode,
  type NormalizeFlags,
  type Normalized,
  type Timeframe,
} from "@chartgate/chart-commands";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_ok: T): void {}

assertType<Equals<Normalized["mode"], "hybrid" | "structured_first">>(true);
assertType<Equals<Normalized["source"], "chart_objects" | "structured" | "legacy" | "mixed" | "none">>(true);
assertType<Equals<Normalized["responseText"], string | null>>(true);
assertType<Equals<Command["description"], string | null>>(true);
assertType<Equals<Command["legacy"], string>>(true);
assertType<Equals<keyof NormalizeFlags, "preferStructured" | "structuredObjects">>(true);
assertType<Equals<ReturnType<typeof timeframes>, Timeframe[]>>(true);
assertType<IssueCode extends ChartgateErrorCode ? true : false>(true);

/** Wrong argument types are compile errors (never called: tsc is the test). */
export function wrongArgumentTypes(): void {
  // @ts-expect-error responseText is a string
  normalizeChartCommandPayload(null, 5);
  // @ts-expect-error unknown flag
  normalizeChartCommandPayload(null, null, { preferStructure: true });
  // @ts-expect-error text is a string
  parseLegacyCommand(["LOAD:TSLA"]);
}

/** Commands narrow on `type`: `payload` is typed per command. */
function describe(c: Command): string {
  switch (c.type) {
    case "load":
      return `load ${c.payload.symbol}`;
    case "timeframe": {
      const tf: Timeframe = c.payload.value;
      return `timeframe ${tf}`;
    }
    case "indicator":
      return `${c.payload.enabled ? "show" : "hide"} ${c.payload.name}${c.payload.params ? `(${c.payload.params.period})` : ""}`;
    case "drawing":
      return c.payload.style === "fibonacci" ? `fib ${c.payload.high}/${c.payload.low}` : `drawing ${c.payload.style}`;
    default:
      return c.type;
  }
}

test("command payloads narrow on type", () => {
  const out = normalizeChartCommandPayload("LOAD:TSLA TIMEFRAME:1W INDICATOR:SMA:ON:50 FIBONACCI:420:480");
  assert.deepEqual(out.commands.map(describe), ["load TSLA", "timeframe 1W", "show SMA(50)", "fib 480/420"]);
});
