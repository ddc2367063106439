/* tslint:disable */
/* eslint-disable */
/**
 * An answer's chart commands in the shapes the flags ask for (snake_case on the wire, as in the
 * server's answers).
 */
export interface ShapedAnswer {
    /**
     * Canonical legacy strings; empty under structured-first (`PREFER_STRUCTURED_CHART_COMMANDS`).
     */
    chart_commands: string[];
    /**
     * The commands themselves, always.
     */
    chart_commands_structured: Command[];
    /**
     * Chart objects v2, only when `ENABLE_STRUCTURED_CHART_OBJECTS` is on; absent otherwise.
     */
    chart_objects?: ChartObjects;
}

/**
 * Canonical indicator names.
 */
export type IndicatorName = "SMA" | "EMA" | "WMA" | "VWAP" | "BOLLINGER" | "RSI" | "MACD" | "STOCHASTIC" | "ATR" | "OBV" | "VOLUME" | "ICHIMOKU";

/**
 * Canonical timeframes. Minutes are lower-case `m`, months upper-case `M`.
 */
export type Timeframe = "1m" | "2m" | "5m" | "15m" | "30m" | "1H" | "2H" | "3H" | "4H" | "6H" | "8H" | "1D" | "5D" | "1W" | "2W" | "1M" | "3M" | "6M" | "YTD" | "1Y" | "2Y" | "3Y" | "5Y" | "MAX";

/**
 * Chart objects v2.
 */
export interface ChartObjects {
    /**
     * Always `"2.0"`.
     */
    version: string;
    symbol: string | null;
    timeframe: Timeframe | null;
    overlays: Overlay[];
    indicators: Indicator[];
    commands: Command[];
    notes: string | null;
}

/**
 * Chart type for `style`.
 */
export type ChartType = "candles" | "bars" | "line" | "area" | "heikin_ashi";

/**
 * Crosshair mode.
 */
export type CrosshairMode = "on" | "off" | "toggle";

/**
 * How bad an issue is: an `error` drops the value, a `warning` keeps it (possibly repaired).
 */
export type Severity = "error" | "warning";

/**
 * Indicator parameters. Only `period` is part of the contract.
 */
export interface IndicatorParams {
    /**
     * Lookback period, 1–500.
     */
    period: number;
}

/**
 * Intent and commands understood from a request.
 */
export interface Understanding {
    intent: Intent;
    commands: Command[];
    legacy: string[];
}

/**
 * One chart command: `{"type", "payload", "description", "legacy", "timestamp"?}` on the wire.
 */
export type Command = CommandKind & { description: string | null; legacy: string; timestamp?: string };

/**
 * One problem found in input.
 */
export interface Issue {
    code: IssueCode;
    path: PathSegment[];
    message: string;
    severity: Severity;
}

/**
 * One segment of an issue path: an object key or an array index.
 */
export type PathSegment = string | number;

/**
 * Something drawn over the price chart.
 */
export interface Overlay {
    name: string;
    type: string;
    params: Record<string, unknown>;
}

/**
 * Stable issue codes. Clients switch on these; never rename one.
 */
export type IssueCode = "invalid_type" | "missing_field" | "invalid_symbol" | "invalid_timeframe" | "unknown_indicator" | "invalid_number" | "invalid_timestamp" | "unknown_command_type" | "unknown_verb" | "invalid_version" | "too_many_commands" | "too_long" | "fallback_to_legacy" | "invalid_value" | "unknown_field" | "not_a_command" | "too_many_issues";

/**
 * Style of a `drawing` command.
 */
export type DrawingStyle = "support" | "resistance" | "horizontal" | "entry" | "target" | "stop_loss" | "trendline" | "fibonacci";

/**
 * The `type` + `payload` of a command.
 */
export type CommandKind = { type: "load"; payload: Load } | { type: "timeframe"; payload: TimeframeChange } | { type: "indicator"; payload: Indicator } | { type: "drawing"; payload: Drawing } | { type: "zoom"; payload: Zoom } | { type: "reset"; payload: Reset } | { type: "crosshair"; payload: Crosshair } | { type: "style"; payload: Style } | { type: "scroll"; payload: Scroll } | { type: "pattern"; payload: Pattern } | { type: "clear"; payload: Clear } | { type: "raw"; payload: Raw };

/**
 * The asset class of a `load` command.
 */
export type AssetType = "stock" | "crypto" | "index" | "forex" | "future";

/**
 * The geometry of a drawing, tagged by `style`.
 */
export type DrawingShape = { style: "support"; price: number } | { style: "resistance"; price: number } | { style: "horizontal"; price: number } | { style: "entry"; price: number } | { style: "target"; price: number } | { style: "stop_loss"; price: number } | { style: "trendline"; start_price: number; end_price: number; start_time?: number; end_time?: number } | { style: "fibonacci"; high: number; low: number };

/**
 * The normalized payload (spec §6).
 */
export interface Normalized {
    /**
     * Canonical legacy strings of the valid commands of the legacy list, input order.
     */
    legacy: string[];
    /**
     * Valid structured commands, input order.
     */
    structured: Command[];
    objects: ChartObjects | null;
    responseText: string | null;
    /**
     * What the chart should execute: deduplicated, in execution order.
     */
    commands: Command[];
    mode: Mode;
    source: Source;
    issues: Issue[];
}

/**
 * The result of parsing legacy strings: the valid commands in input order and every issue found.
 */
export interface Parsed {
    commands: Command[];
    issues: Issue[];
}

/**
 * The two rollout flags (`PREFER_STRUCTURED_CHART_COMMANDS`, `ENABLE_STRUCTURED_CHART_OBJECTS`).
 */
export interface NormalizeFlags {
    preferStructured?: boolean;
    structuredObjects?: boolean;
}

/**
 * What `clear` clears.
 */
export type ClearTarget = "all" | "drawings" | "pattern";

/**
 * What `reset` resets.
 */
export type ResetTarget = "view" | "scale";

/**
 * What the user wants.
 */
export type Intent = "chart_command" | "price_only" | "technical_analysis" | "news_summary" | "market_overview" | "educational" | "general_query";

/**
 * Where `commands` came from.
 */
export type Mode = "hybrid" | "structured_first";

/**
 * Which input list(s) contributed to `commands`.
 */
export type Source = "chart_objects" | "structured" | "legacy" | "mixed" | "none";

/**
 * Zoom direction.
 */
export type ZoomDirection = "in" | "out";

/**
 * `clear`: remove everything, all drawings, or one pattern.
 */
export interface Clear {
    target: ClearTarget;
    pattern_id?: string;
}

/**
 * `crosshair`: turn the crosshair on, off, or toggle it.
 */
export interface Crosshair {
    mode: CrosshairMode;
}

/**
 * `drawing`: a price level, a trend line or a Fibonacci retracement.
 */
export type Drawing = DrawingShape & { pattern_id?: string };

/**
 * `indicator`: show or hide an indicator.
 */
export interface Indicator {
    name: IndicatorName;
    enabled: boolean;
    params?: IndicatorParams;
}

/**
 * `load`: switch the chart to a symbol.
 */
export interface Load {
    /**
     * Canonical (upper-case) symbol such as `TSLA`, `BRK.B`, `BTC-USD`, `^GSPC`, `EURUSD=X`, `ES=F`.
     */
    symbol: string;
    asset_type?: AssetType;
}

/**
 * `pattern`: show a chart pattern, or update a pattern's status.
 */
export interface Pattern {
    /**
     * Lower snake case, e.g. `head_and_shoulders`. Absent only for status updates (`ANNOTATE:PATTERN`).
     */
    pattern_type?: string;
    pattern_id?: string;
    /**
     * Lower snake case, e.g. `confirmed`.
     */
    status?: string;
    start_candle?: number;
    end_candle?: number;
}

/**
 * `raw`: a legacy string nobody understands, passed through untouched.
 */
export interface Raw {
    value: string;
}

/**
 * `reset`: reset the view or the price scale.
 */
export interface Reset {
    target: ResetTarget;
}

/**
 * `scroll`: scroll to a date or a Unix time.
 */
export type Scroll = { date: string } | { time: number };

/**
 * `style`: change the chart type.
 */
export interface Style {
    chart_type: ChartType;
}

/**
 * `timeframe`: change the candle interval / range.
 */
export interface TimeframeChange {
    value: Timeframe;
}

/**
 * `zoom`: zoom in or out, optionally by a factor.
 */
export interface Zoom {
    direction: ZoomDirection;
    amount?: number;
}


/**
 * Reads the `chart_commands` tool's arguments fragment by fragment (see the module docs).
 */
export class ToolCallReader {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Ends the arguments: the issues about whatever was left incomplete (a truncated command,
     * an unclosed object, no `commands` field). Throws `reader_finished` when called twice.
     */
    finish(): Parsed;
    /**
     * A reader at the start of the arguments.
     */
    constructor();
    /**
     * Feeds the next fragment of the arguments' text; returns the commands it completed and
     * their issues. Throws a `ChartgateError` (`invalid_type`) when `fragment` is not a string,
     * `reader_finished` after `finish()`.
     */
    push(fragment: string): Parsed;
    /**
     * Whether `finish()` was called.
     */
    readonly finished: boolean;
}

/**
 * Chart objects v2 built from a list of structured commands. Throws a `ChartgateError` when any
 * command is invalid (pass `validateCommands(list).commands` to build from the valid ones).
 */
export function buildChartObjects(commands: unknown[]): ChartObjects;

/**
 * The JSON Schema of `{ commands: [...] }` (OpenAI strict structured outputs), as a plain object.
 */
export function chartCommandSchema(): Record<string, unknown>;

/**
 * Every canonical indicator name, in picker order.
 */
export function indicators(): IndicatorName[];

/**
 * Normalizes a chart-command payload (spec §6): a legacy string or list, an object with
 * `chart_commands` / `chart_commands_structured` / `chart_objects` (or their camelCase and short
 * aliases), or nothing. Returns `legacy`, `structured`, `objects`, `responseText`, `commands`,
 * `mode`, `source` and `issues`. Never throws for what is inside a JSON payload.
 */
export function normalizeChartCommandPayload(input: unknown, responseText: string | null, flags?: NormalizeFlags | null): Normalized;

/**
 * Parses one legacy string (which may hold several space-separated commands).
 */
export function parseLegacyCommand(text: string): Parsed;

/**
 * Parses a list of legacy strings; issue paths start with the string's index.
 */
export function parseLegacyCommands(list: string[]): Parsed;

/**
 * An answer's chart commands in the shapes the two flags ask for (`chart_commands` empty under
 * `preferStructured`, `chart_objects` only with `structuredObjects`), as the server shapes its
 * answers. The commands must be valid and in execution order; throws a `ChartgateError` if any is
 * invalid.
 */
export function shapeAnswer(commands: unknown[], flags?: NormalizeFlags | null): ShapedAnswer;

/**
 * Every canonical timeframe, in picker order (`1m` … `MAX`).
 */
export function timeframes(): Timeframe[];

/**
 * The canonical legacy string of one structured command. Throws a `ChartgateError` (the first
 * error's `code` and `path`, every issue in `issues`) when the command is invalid.
 */
export function toLegacy(command: unknown): string;

/**
 * Validates a list of structured commands (a single command counts as a list of one): the valid
 * commands, canonicalized, and every issue, with paths starting at the command's index.
 */
export function validateCommands(list: unknown): Parsed;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_toolcallreader_free: (a: number, b: number) => void;
    readonly buildChartObjects: (a: any) => [number, number, number];
    readonly chartCommandSchema: () => [number, number, number];
    readonly indicators: () => [number, number, number];
    readonly normalizeChartCommandPayload: (a: any, b: number, c: number) => [number, number, number];
    readonly parseLegacyCommand: (a: any) => [number, number, number];
    readonly parseLegacyCommands: (a: any) => [number, number, number];
    readonly shapeAnswer: (a: any, b: number) => [number, number, number];
    readonly timeframes: () => [number, number, number];
    readonly toLegacy: (a: any) => [number, number, number, number];
    readonly toolcallreader_finish: (a: number) => [number, number, number];
    readonly toolcallreader_finished: (a: number) => number;
    readonly toolcallreader_new: () => number;
    readonly toolcallreader_push: (a: number, b: any) => [number, number, number];
    readonly validateCommands: (a: any) => [number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
