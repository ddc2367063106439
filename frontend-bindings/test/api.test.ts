/**
 * The package as a user imports it in node (`import … from "@chartgate/chart-commands"`, resolved
 * to the packed copy): the drop-in behaviour of normalizeChartCommandPayload, the other exports,
 * errors as `ChartgateError`s, bad input, and every vector with a one-call export compared with
 * the native results (as JS values: both sides through JSON.parse, keys sorted).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as api from "@chartgate/chart-commands";
import {
  buildChartObjects,
  chartCommandSchema,
  indicators,
  init,
  isChartgateError,
  isReady,
  normalizeChartCommandPayload,
  parseLegacyCommand,
  parseLegacyCommands,
  shapeAnswer,
  timeframes,
  toLegacy,
  understand,
  validateCommands,
  type ChartgateError,
} from "@chartgate/chart-commands";
import { jsExact, loadVectors, sortedJson, viaApi } from "./helpers.js";

function thrown(f: () => unknown): ChartgateError {
  try {
    f();
  } catch (e) {
    assert.ok(isChartgateError(e), `not a ChartgateError: ${String(e)}`);
    assert.ok(e instanceof Error);
    return e;
  }
  assert.fail("expected a throw");
}

test("node entry is ready at import; init() resolves", async () => {
  assert.equal(isReady(), true);
  await init();
  assert.equal(isReady(), true);
});

test("same call, same keys as the Zod version plus commands, mode, source, issues", () => {
  const out = normalizeChartCommandPayload({
    chart_commands: ["LOAD:TSLA", "ADD:rsi"],
    chart_commands_structured: [{ type: "timeframe", payload: { value: "1w" } }],
  });
  assert.deepEqual(Object.keys(out), [
    "legacy",
    "structured",
    "objects",
    "responseText",
    "commands",
    "mode",
    "source",
    "issues",
  ]);
  assert.deepEqual(out.legacy, ["LOAD:TSLA", "INDICATOR:RSI:ON"]);
  assert.deepEqual(
    out.commands.map((c) => c.legacy),
    ["LOAD:TSLA", "TIMEFRAME:1W", "INDICATOR:RSI:ON"],
  );
  assert.equal(out.mode, "hybrid");
  assert.equal(out.source, "mixed");
  assert.equal(out.objects, null);
  assert.equal(out.responseText, null);
  assert.deepEqual(out.issues, []);
});

test("empty inputs give the empty result", () => {
  for (const input of [undefined, null, "", [], {}]) {
    const out = normalizeChartCommandPayload(input);
    assert.equal(out.source, "none", JSON.stringify(input));
    assert.deepEqual(out.commands, []);
  }
});

test("responseText: the payload's own wins over the argument; flags choose the source", () => {
  assert.equal(normalizeChartCommandPayload("LOAD:TSLA", "from arg").responseText, "from arg");
  assert.equal(
    normalizeChartCommandPayload({ chart_commands: [], responseText: "own" }, "from arg").responseText,
    "own",
  );
  const payload = {
    chart_commands: ["LOAD:AAPL"],
    chart_commands_structured: [{ type: "load", payload: { symbol: "bogus symbol" } }],
  };
  const out = normalizeChartCommandPayload(payload, null, { preferStructured: true });
  assert.equal(out.mode, "structured_first");
  assert.equal(out.source, "legacy");
  assert.ok(out.issues.some((i) => i.code === "fallback_to_legacy" && i.severity === "warning"));
  assert.ok(out.issues.some((i) => i.code === "invalid_symbol" && i.path.join("/") === "chart_commands_structured/0/payload/symbol"));
});

test("parse, validate, toLegacy, buildChartObjects, understand, schema, vocabularies", () => {
  const p = parseLegacyCommand("ENTRY:150 STOP:140 TARGET:175");
  assert.deepEqual(
    p.commands.map((c) => c.legacy),
    ["ENTRY:150", "STOPLOSS:140", "TARGET:175"],
  );
  const list = parseLegacyCommands(["LOAD:TSLA", "FROB:1"]);
  assert.equal(list.commands.length, 2);
  assert.deepEqual(list.issues.map((i) => [i.code, i.path]), [["unknown_verb", [1]]]);
  const v = validateCommands([{ type: "indicator", payload: { name: "ma50" } }, { type: "nope" }]);
  assert.equal(v.commands[0]?.legacy, "INDICATOR:SMA:ON:50");
  assert.equal(v.issues[0]?.code, "unknown_command_type");
  assert.equal(toLegacy({ type: "drawing", payload: { style: "fibonacci", high: 420, low: 480 } }), "FIBONACCI:480:420");
  const objects = buildChartObjects(v.commands);
  assert.equal(objects.version, "2.0");
  assert.equal(objects.indicators[0]?.name, "SMA");
  const u = understand("show RSI");
  assert.ok(!u.commands.some((c) => c.type === "load"), "never invents a ticker");
  assert.equal(typeof chartCommandSchema()["properties"], "object");
  assert.equal(timeframes().length, 24);
  assert.deepEqual(timeframes().slice(0, 2), ["1m", "2m"]);
  assert.ok(indicators().includes("ICHIMOKU"));
});

test("shapeAnswer shapes an answer by the two flags, as the server does", () => {
  const commands = parseLegacyCommand("LOAD:TSLA TIMEFRAME:1W").commands;
  const hybrid = shapeAnswer(commands);
  assert.deepEqual(hybrid.chart_commands, ["LOAD:TSLA", "TIMEFRAME:1W"]);
  assert.equal(hybrid.chart_commands_structured.length, 2);
  assert.ok(!("chart_objects" in hybrid), "no objects unless enabled");
  const first = shapeAnswer(commands, { preferStructured: true, structuredObjects: true });
  assert.deepEqual(first.chart_commands, []);
  assert.equal(first.chart_objects?.symbol, "TSLA");
  assert.equal(thrown(() => shapeAnswer([{ type: "nope" }])).code, "unknown_command_type");
});

test("errors are ChartgateErrors with code and path", () => {
  let e = thrown(() => toLegacy({ type: "load", payload: { symbol: "not a symbol!" } }));
  assert.equal(e.code, "invalid_symbol");
  assert.deepEqual(e.path, ["payload", "symbol"]);
  assert.ok(Array.isArray(e.issues) && e.issues.length >= 1);
  e = thrown(() => buildChartObjects([{ type: "load", payload: { symbol: "TSLA" } }, { type: "zoom", payload: {} }]));
  assert.deepEqual(e.path.slice(0, 1), [1]);
  e = thrown(() => parseLegacyCommand(42 as unknown as string));
  assert.deepEqual([e.code, e.path], ["invalid_type", []]);
  e = thrown(() => parseLegacyCommands(["LOAD:TSLA", 7] as unknown as string[]));
  assert.deepEqual([e.code, e.path], ["invalid_type", [1]]);
  e = thrown(() => normalizeChartCommandPayload(null, 5 as unknown as string));
  assert.deepEqual([e.code, e.path], ["invalid_type", ["responseText"]]);
  e = thrown(() => normalizeChartCommandPayload(null, null, { preferStructured: "yes" } as never));
  assert.deepEqual([e.code, e.path], ["invalid_type", ["flags"]]);
});

test("bad JS values never trap the module", () => {
  const cyclic: Record<string, unknown> = { chart_commands: ["LOAD:TSLA"] };
  cyclic["self"] = cyclic;
  assert.equal(thrown(() => normalizeChartCommandPayload(cyclic)).code, "invalid_type");
  assert.equal(thrown(() => normalizeChartCommandPayload({ n: 10n })).code, "invalid_type");
  const deep = JSON.parse("[".repeat(3000) + "]".repeat(3000));
  assert.equal(thrown(() => normalizeChartCommandPayload({ chart_commands: deep })).code, "invalid_type");
  assert.equal(thrown(() => parseLegacyCommand("x".repeat(8 * 1024 * 1024 + 1))).code, "too_long");
  // undefined fields are absent, NaN is null: results, not throws.
  const out = normalizeChartCommandPayload({ chart_commands: ["LOAD:TSLA"], chart_commands_structured: undefined });
  assert.deepEqual(out.issues, []);
  // NaN becomes null, as JSON.stringify sends it: a missing required price is an issue.
  const nan = validateCommands([{ type: "drawing", payload: { style: "support", price: Number.NaN } }]);
  assert.equal(nan.commands.length, 0);
  assert.deepEqual(nan.issues.map((i) => i.path), [[0, "payload", "price"]]);
  const many = normalizeChartCommandPayload(Array.from({ length: 50_000 }, () => "ZOOM:IN"));
  assert.equal(many.legacy.length, 256);
  assert.ok(many.issues.some((i) => i.code === "too_many_commands"));
  // Still working afterwards.
  assert.deepEqual(normalizeChartCommandPayload("LOAD:TSLA").legacy, ["LOAD:TSLA"]);
});

test("vectors through the public API give the native values", () => {
  const vectors = loadVectors();
  let checked = 0;
  const failures: string[] = [];
  for (const v of vectors) {
    if (v.native === undefined || !jsExact(v)) continue;
    const out = viaApi(api, v);
    if (out === undefined) continue;
    checked++;
    // Values through JS on both sides: JS prints some numbers differently from serde_json
    // (0.000001 vs 1e-6); conformance.test.ts compares the wasm text itself byte for byte.
    const text = sortedJson(out);
    const native = sortedJson(JSON.parse(v.native));
    if (text !== native) failures.push(`${v.id}:\n  api:    ${text}\n  native: ${native}`);
  }
  assert.ok(checked >= 200, `only ${checked} vectors checked`);
  assert.deepEqual(failures, [], `${failures.length} of ${checked} differ`);
});
