/**
 * The package as a user imports it in node (`import … from "@chartgate/chart-commands"`, resolved
 * to the packed copy) and its understand module (`@chartgate/chart-commands/understand`): the
 * drop-in behaviour of normalizeChartCommandPayload, the other exports, the tool-call reader,
 * errors as `ChartgateError`s (exotic throws included), bad input, and every vector with a
 * one-call export compared with the native results (as JS values: both sides through JSON.parse,
 * keys sorted).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as api from "@chartgate/chart-commands";
import * as understanding from "@chartgate/chart-commands/understand";
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
  ToolCallReader,
  validateCommands,
  type ChartgateError,
  type Parsed,
} from "@chartgate/chart-commands";
import { understand } from "@chartgate/chart-commands/understand";
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

test("node entries are ready at import; init() resolves", async () => {
  assert.equal(isReady(), true);
  await init();
  assert.equal(isReady(), true);
  assert.equal(understanding.isReady(), true);
  await understanding.init();
  assert.ok(!("understand" in api), "understand lives in its own module");
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
  assert.equal(thrown(() => normalizeChartCommandPayload({ chart_commands: [cyclic] })).code, "invalid_type");
  assert.equal(thrown(() => normalizeChartCommandPayload({ chart_commands: 10n })).code, "invalid_type");
  // What core does not read never crosses the bridge: a cycle or a BigInt beside the commands
  // (in the tools' data) fails nothing.
  assert.deepEqual(normalizeChartCommandPayload(cyclic).legacy, ["LOAD:TSLA"]);
  assert.deepEqual(normalizeChartCommandPayload({ chart_commands: ["LOAD:TSLA"], n: 10n }).legacy, ["LOAD:TSLA"]);
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
    const out = viaApi(api, understanding, v);
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

/** Values whose every touch throws something that is not an `Error` (or a poisoned one). */
function exoticValues(): unknown[] {
  const revoked = () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    return r.proxy;
  };
  const trap = () => {
    throw revoked();
  };
  const hostile = new Proxy({}, { get: trap, getOwnPropertyDescriptor: trap, ownKeys: trap, getPrototypeOf: trap, has: trap });
  const throwing = (v: unknown) =>
    Object.defineProperty({}, "chart_commands", {
      enumerable: true,
      get() {
        throw v;
      },
    });
  const poisonedError = new Proxy(new Error("x"), { get: trap, getPrototypeOf: trap });
  return [revoked(), hostile, throwing(revoked()), throwing(hostile), throwing(poisonedError), [hostile], { chart_commands: [revoked()] }];
}

test("exotic throws are ChartgateErrors, over more than a thousand calls", () => {
  const values = exoticValues();
  const calls: ((v: unknown) => unknown)[] = [
    (v) => normalizeChartCommandPayload(v),
    (v) => validateCommands(v),
    (v) => toLegacy(v),
    (v) => buildChartObjects(v as unknown[]),
    (v) => parseLegacyCommands(v as string[]),
    (v) => normalizeChartCommandPayload(null, null, v as never),
    (v) => new ToolCallReader().push(v as string),
    (v) => understand(v as string),
  ];
  let n = 0;
  for (let round = 0; round < 20; round++) {
    for (const v of values) {
      for (const call of calls) {
        assert.equal(thrown(() => call(v)).code, "invalid_type");
        n++;
      }
    }
  }
  assert.ok(n > 1000, `${n} calls`);
  // The module is intact (the old one failed with "memory access out of bounds" by now).
  assert.deepEqual(normalizeChartCommandPayload({ chart_commands: ["LOAD:TSLA"] }).legacy, ["LOAD:TSLA"]);
  assert.ok(understand("load TSLA").legacy.includes("LOAD:TSLA"));
});

/** A reader's pushes and finish for `pieces`, as one answer. */
function streamed(pieces: string[]): Parsed {
  const reader = new ToolCallReader();
  const all: Parsed = { commands: [], issues: [] };
  for (const p of [...pieces.map((f) => reader.push(f)), reader.finish()]) {
    all.commands.push(...p.commands);
    all.issues.push(...p.issues);
  }
  return all;
}

test("ToolCallReader: any split of a vector's arguments gives the one-shot answer", () => {
  const texts = loadVectors()
    .filter((v) => v.area === "tool_stream")
    .map((v) => (v.input as { fragments: string[] }).fragments.join(""));
  assert.ok(texts.length >= 10, `only ${texts.length} tool_stream vectors`);
  let runs = 0;
  for (const text of texts) {
    const want = JSON.stringify(streamed([text]));
    const chars = [...text]; // code points: a delta is a whole string, never half a surrogate pair
    assert.equal(JSON.stringify(streamed(chars)), want, `${text} one character at a time`);
    for (let i = 1; i < chars.length; i++) {
      const cut = chars.slice(0, i).join("");
      assert.equal(JSON.stringify(streamed([cut, text.slice(cut.length)])), want, `${text} cut at ${i}`);
      runs++;
    }
  }
  assert.ok(runs >= 500, `only ${runs} splits`);
});

test("ToolCallReader: commands as soon as their element closes; a finished reader throws", () => {
  const reader = new ToolCallReader();
  assert.deepEqual(reader.push('{"commands":[{"type":"load","payload":{"symbol":"tsla"}}').commands.map((c) => c.legacy), ["LOAD:TSLA"]);
  const rest = reader.push(',{"type":"zoom","payload":{"direction":"sideways"}}');
  assert.deepEqual([rest.commands.length, rest.issues[0]?.path[0]], [0, 1]);
  const end = reader.finish();
  assert.deepEqual(end.issues.map((i) => i.path), [["arguments"]], "the object was never closed");
  assert.equal(reader.finished, true);
  assert.equal(thrown(() => reader.push("]}")).code, "reader_finished");
  assert.equal(thrown(() => reader.finish()).code, "reader_finished");
  const freed = new ToolCallReader();
  freed.free();
  assert.equal(thrown(() => freed.push("{")).code, "reader_finished");
});
