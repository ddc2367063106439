/**
 * The demo's chart: a lightweight-charts candlestick chart of synthetic candles, driven by the
 * commands the buffer releases. `apply` folds a command into `ChartState` (the page exposes it as
 * `window.__chartgate_demo.chart`); `render` draws the state. Commands arrive already normalized
 * and ordered by core: nothing here validates or reorders them.
 */
import {
  AreaSeries,
  BarSeries,
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type CandlestickData,
  type IChartApi,
  type ISeriesApi,
  type LineData,
  type SeriesType,
  type UTCTimestamp,
} from "lightweight-charts";
import type { Command } from "@chartgate/chart-commands";

export interface Line {
  style: string;
  price: number;
}

export interface ChartState {
  symbol: string;
  timeframe: string;
  chartType: string;
  indicators: { name: string; period?: number }[];
  lines: Line[];
  trendlines: { start_price: number; end_price: number; start_time?: number; end_time?: number }[];
  fibonacci: { high: number; low: number }[];
  patterns: { pattern_type?: string; pattern_id?: string; status?: string; start_candle?: number; end_candle?: number }[];
  /** Bars in view; null = fit everything. */
  visibleBars: number | null;
  /** The newest visible bar's time when scrolled, else null (the latest). */
  scrolledTo: number | null;
  crosshair: boolean;
  /** Legacy strings of the commands applied, in order. */
  applied: string[];
  /** Commands the chart does not draw (`raw`). */
  raw: string[];
  candles: number;
}

export const CANDLES = 240;

export function initialState(): ChartState {
  return {
    symbol: "AAPL",
    timeframe: "1D",
    chartType: "candles",
    indicators: [],
    lines: [],
    trendlines: [],
    fibonacci: [],
    patterns: [],
    visibleBars: null,
    scrolledTo: null,
    crosshair: true,
    applied: [],
    raw: [],
    candles: CANDLES,
  };
}

/** Folds one command into the state. */
export function apply(s: ChartState, c: Command): void {
  s.applied.push(c.legacy);
  switch (c.type) {
    case "clear":
      if (c.payload.target === "pattern") {
        const id = c.payload.pattern_id;
        s.patterns = id === undefined ? [] : s.patterns.filter((p) => p.pattern_id !== id);
      } else {
        s.lines = [];
        s.trendlines = [];
        s.fibonacci = [];
        s.patterns = [];
        if (c.payload.target === "all") s.indicators = [];
      }
      break;
    case "load":
      if (c.payload.symbol !== s.symbol) {
        // Levels belong to the symbol they were drawn on; indicators stay.
        s.lines = [];
        s.trendlines = [];
        s.fibonacci = [];
        s.patterns = [];
        s.scrolledTo = null;
      }
      s.symbol = c.payload.symbol;
      break;
    case "timeframe":
      s.timeframe = c.payload.value;
      s.scrolledTo = null;
      break;
    case "style":
      s.chartType = c.payload.chart_type;
      break;
    case "indicator": {
      const { name, enabled, params } = c.payload;
      s.indicators = s.indicators.filter((i) => i.name !== name);
      if (enabled) s.indicators.push(params ? { name, period: params.period } : { name });
      break;
    }
    case "drawing": {
      const d = c.payload;
      if (d.style === "trendline") {
        const t: ChartState["trendlines"][number] = { start_price: d.start_price, end_price: d.end_price };
        if (d.start_time !== undefined) t.start_time = d.start_time;
        if (d.end_time !== undefined) t.end_time = d.end_time;
        s.trendlines.push(t);
      } else if (d.style === "fibonacci") s.fibonacci.push({ high: d.high, low: d.low });
      else s.lines.push({ style: d.style, price: d.price });
      break;
    }
    case "pattern":
      s.patterns.push({ ...c.payload });
      break;
    case "zoom": {
      const factor = c.payload.amount ?? 2;
      const now = s.visibleBars ?? s.candles;
      s.visibleBars = Math.max(10, Math.min(s.candles, Math.round(c.payload.direction === "in" ? now / factor : now * factor)));
      break;
    }
    case "scroll":
      s.scrolledTo = "time" in c.payload ? c.payload.time : Date.parse(c.payload.date) / 1000;
      break;
    case "crosshair":
      s.crosshair = c.payload.mode === "toggle" ? !s.crosshair : c.payload.mode === "on";
      break;
    case "reset":
      if (c.payload.target === "view") {
        s.visibleBars = null;
        s.scrolledTo = null;
      }
      break;
    case "raw":
      s.raw.push(c.payload.value);
      break;
  }
}

// --- synthetic candles -------------------------------------------------------------------------

const SECONDS: Record<string, number> = {
  "1m": 60, "2m": 120, "5m": 300, "15m": 900, "30m": 1800, "1H": 3600, "2H": 7200, "3H": 10800, "4H": 14400,
  "6H": 21600, "8H": 28800, "1D": 86400, "5D": 432000, "1W": 604800, "2W": 1209600, "1M": 2592000,
  "3M": 7776000, "6M": 15552000, "YTD": 86400, "1Y": 86400, "2Y": 172800, "3Y": 259200, "5Y": 432000, "MAX": 604800,
};

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Deterministic candles for a symbol and timeframe (a seeded random walk): not market data. */
export function syntheticCandles(symbol: string, timeframe: string, count = CANDLES): (CandlestickData<UTCTimestamp> & { volume: number })[] {
  let seed = hash(`${symbol}/${timeframe}`) || 1;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const step = SECONDS[timeframe] ?? 86400;
  const end = Math.floor(Date.UTC(2026, 10, 27) / 1000);
  let price = 40 + (hash(symbol) % 460);
  const out = [];
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (random() - 0.49) * 0.04));
    const high = Math.max(open, close) * (1 + random() * 0.015);
    const low = Math.min(open, close) * (1 - random() * 0.015);
    out.push({ time: (end - (count - 1 - i) * step) as UTCTimestamp, open, high, low, close, volume: Math.round(1e6 * (0.5 + random())) });
    price = close;
  }
  return out;
}

// --- indicators (drawing only) -----------------------------------------------------------------

type Candle = ReturnType<typeof syntheticCandles>[number];
type Points = LineData<UTCTimestamp>[];

function sma(c: Candle[], n: number): Points {
  return c.slice(n - 1).map((_, k) => ({ time: c[k + n - 1]!.time, value: c.slice(k, k + n).reduce((a, x) => a + x.close, 0) / n }));
}
function ema(c: Candle[], n: number): Points {
  const a = 2 / (n + 1);
  let v = c[0]!.close;
  return c.map((x) => ({ time: x.time, value: (v = a * x.close + (1 - a) * v) }));
}
function wma(c: Candle[], n: number): Points {
  const w = (n * (n + 1)) / 2;
  return c.slice(n - 1).map((_, k) => ({ time: c[k + n - 1]!.time, value: c.slice(k, k + n).reduce((a, x, j) => a + x.close * (j + 1), 0) / w }));
}
function rsi(c: Candle[], n: number): Points {
  let up = 0;
  let down = 0;
  return c.slice(1).map((x, k) => {
    const d = x.close - c[k]!.close;
    up = (up * (n - 1) + Math.max(d, 0)) / n;
    down = (down * (n - 1) + Math.max(-d, 0)) / n;
    return { time: x.time, value: down === 0 ? 100 : 100 - 100 / (1 + up / down) };
  });
}

const COLORS = ["#2962ff", "#e65100", "#6a1b9a", "#00838f", "#ad1457", "#558b2f"];

/** The chart on the page; `render(state)` redraws it from scratch (cheap at 240 candles). */
export class DemoChart {
  readonly api: IChartApi;
  #series: ISeriesApi<SeriesType>[] = [];

  constructor(container: HTMLElement) {
    this.api = createChart(container, {
      autoSize: true,
      layout: { fontFamily: "system-ui, sans-serif", attributionLogo: false },
      timeScale: { timeVisible: true },
    });
  }

  render(s: ChartState): void {
    for (const series of this.#series) this.api.removeSeries(series);
    this.#series = [];
    while (this.api.panes().length > 1) this.api.removePane(this.api.panes().length - 1);
    const candles = syntheticCandles(s.symbol, s.timeframe, s.candles);
    // The candles are made up, the answer's levels are not: scale the walk to the levels' prices
    // so they are drawn over the candles rather than off-screen.
    const levels = [...s.lines.map((l) => l.price), ...s.fibonacci.flatMap((f) => [f.high, f.low]), ...s.trendlines.flatMap((t) => [t.start_price, t.end_price])];
    if (levels.length > 0) {
      const k = levels.reduce((a, x) => a + x, 0) / levels.length / (candles.reduce((a, x) => a + x.close, 0) / candles.length);
      for (const x of candles) Object.assign(x, { open: x.open * k, high: x.high * k, low: x.low * k, close: x.close * k });
    }
    const main = this.#main(s.chartType, candles);
    const colors = [...COLORS];
    const color = () => colors.shift() ?? "#455a64";
    const line = (data: Points, pane = 0, title = "") => {
      const series = this.api.addSeries(LineSeries, { color: color(), lineWidth: 2, title, priceLineVisible: false, lastValueVisible: false }, pane);
      series.setData(data);
      this.#series.push(series);
      return series;
    };
    let pane = 0;
    for (const ind of s.indicators) {
      const n = ind.period ?? (ind.name === "RSI" ? 14 : 20);
      switch (ind.name) {
        case "SMA": line(sma(candles, n), 0, `SMA ${n}`); break;
        case "EMA": line(ema(candles, n), 0, `EMA ${n}`); break;
        case "WMA": line(wma(candles, n), 0, `WMA ${n}`); break;
        case "BOLLINGER": {
          const mid = sma(candles, n);
          const sd = mid.map((m, k) => Math.sqrt(candles.slice(k, k + n).reduce((a, x) => a + (x.close - m.value) ** 2, 0) / n));
          line(mid, 0, `BB ${n}`);
          line(mid.map((m, k) => ({ time: m.time, value: m.value + 2 * sd[k]! })), 0);
          line(mid.map((m, k) => ({ time: m.time, value: m.value - 2 * sd[k]! })), 0);
          break;
        }
        case "VWAP": {
          let pv = 0;
          let v = 0;
          line(candles.map((x) => ({ time: x.time, value: (pv += ((x.high + x.low + x.close) / 3) * x.volume) / (v += x.volume) })), 0, "VWAP");
          break;
        }
        case "ICHIMOKU": line(sma(candles, 9), 0, "Tenkan"); line(sma(candles, 26), 0, "Kijun"); break;
        case "VOLUME": {
          const series = this.api.addSeries(HistogramSeries, { color: "#90a4ae", title: "Volume", priceLineVisible: false }, ++pane);
          series.setData(candles.map((x) => ({ time: x.time, value: x.volume })));
          this.#series.push(series);
          break;
        }
        case "RSI": line(rsi(candles, n), ++pane, `RSI ${n}`); break;
        case "MACD": {
          const fast = ema(candles, 12);
          const slow = ema(candles, 26);
          line(fast.map((f, k) => ({ time: f.time, value: f.value - slow[k]!.value })), ++pane, "MACD");
          break;
        }
        default: {
          // STOCHASTIC, ATR, OBV: a simple oscillator pane, labelled.
          const values = candles.slice(n - 1).map((x, k) => {
            const w = candles.slice(k, k + n);
            const hi = Math.max(...w.map((y) => y.high));
            const lo = Math.min(...w.map((y) => y.low));
            return { time: x.time, value: ind.name === "ATR" ? hi - lo : ((x.close - lo) / (hi - lo || 1)) * 100 };
          });
          line(values, ++pane, ind.name);
        }
      }
    }
    const LEVEL_COLORS: Record<string, string> = { support: "#2e7d32", resistance: "#c62828", entry: "#1565c0", target: "#6a1b9a", stop_loss: "#ef6c00", horizontal: "#546e7a" };
    for (const l of s.lines) {
      main.createPriceLine({ price: l.price, color: LEVEL_COLORS[l.style] ?? "#546e7a", lineWidth: 2, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: l.style.replace("_", " ") });
    }
    for (const f of s.fibonacci) {
      for (const r of [0, 0.236, 0.382, 0.5, 0.618, 0.786, 1]) {
        main.createPriceLine({ price: f.high - (f.high - f.low) * r, color: "#8d6e63", lineWidth: 1, lineStyle: LineStyle.Dotted, axisLabelVisible: true, title: `fib ${(r * 100).toFixed(1)}%` });
      }
    }
    const last = candles.length - 1;
    for (const t of s.trendlines) {
      const start = t.start_time ?? candles[Math.floor(last * 0.6)]!.time;
      const end = t.end_time ?? candles[last]!.time;
      line(
        [
          { time: Math.min(start, end) as UTCTimestamp, value: start <= end ? t.start_price : t.end_price },
          { time: Math.max(start, end) as UTCTimestamp, value: start <= end ? t.end_price : t.start_price },
        ],
        0,
        "trend",
      );
    }
    if (s.patterns.length > 0) {
      const markers = s.patterns.flatMap((p, k) => {
        const from = Math.min(last, p.start_candle ?? last - 40 - 10 * k);
        const to = Math.min(last, p.end_candle ?? from + 30);
        const label = (p.pattern_type ?? p.pattern_id ?? "pattern").replaceAll("_", " ") + (p.status ? ` (${p.status})` : "");
        return [
          { time: candles[from]!.time, position: "aboveBar" as const, shape: "arrowDown" as const, color: "#6a1b9a", text: label },
          { time: candles[to]!.time, position: "belowBar" as const, shape: "arrowUp" as const, color: "#6a1b9a", text: "end" },
        ].sort((a, b) => a.time - b.time);
      });
      createSeriesMarkers(main, markers.sort((a, b) => a.time - b.time));
    }
    this.api.applyOptions({ crosshair: { mode: s.crosshair ? CrosshairMode.Normal : CrosshairMode.Hidden } });
    const ts = this.api.timeScale();
    if (s.visibleBars === null && s.scrolledTo === null) ts.fitContent();
    else {
      const bars = s.visibleBars ?? s.candles;
      const endIndex = s.scrolledTo === null ? last : Math.max(0, candles.findIndex((x) => x.time >= s.scrolledTo!));
      ts.setVisibleLogicalRange({ from: endIndex - bars + 1, to: endIndex });
    }
  }

  #main(chartType: string, candles: Candle[]): ISeriesApi<SeriesType> {
    let series: ISeriesApi<SeriesType>;
    if (chartType === "line" || chartType === "area") {
      series = this.api.addSeries(chartType === "line" ? LineSeries : AreaSeries, { title: "" });
      series.setData(candles.map((x) => ({ time: x.time, value: x.close })));
    } else if (chartType === "bars") {
      series = this.api.addSeries(BarSeries);
      series.setData(candles);
    } else {
      series = this.api.addSeries(CandlestickSeries);
      if (chartType === "heikin_ashi") {
        let prev = candles[0]!;
        series.setData(
          candles.map((x) => {
            const close = (x.open + x.high + x.low + x.close) / 4;
            const open = (prev.open + prev.close) / 2;
            prev = { ...x, open, close };
            return { time: x.time, open, close, high: Math.max(x.high, open, close), low: Math.min(x.low, open, close) };
          }),
        );
      } else series.setData(candles);
    }
    this.#series.push(series);
    return series;
  }
}
