// A seeded, reproducible corpus of realistic assistant responses carrying chart commands:
// legacy lists (and space-joined compound strings), structured commands, chart_objects v2, and
// mixes of them; snake_case and camelCase keys; 1–12 commands each; ~5% malformed entries
// (bad symbols, unknown verbs, wrong types, invalid timeframes, bad prices, unknown types…).
// Same seed → same corpus, in node and in the browser (no dependencies, no node APIs).

/** mulberry32: a small, fast, seedable PRNG. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYMBOLS = ["TSLA", "AAPL", "NVDA", "MSFT", "AMZN", "META", "GOOGL", "SPY", "QQQ", "AMD", "NFLX", "BRK.B", "BTC-USD", "ETH-USD", "^GSPC", "EURUSD=X", "ES=F", "tsla", "nvda"];
const TIMEFRAMES = ["1D", "1W", "4H", "1H", "15m", "5m", "1M", "3M", "YTD", "1Y", "5Y", "MAX", "1d", "1h", "4h", "H4", "1mo", "ALL"];
const INDICATORS = [["RSI"], ["MACD"], ["SMA", 50], ["SMA", 200], ["EMA", 20], ["BOLLINGER"], ["BB"], ["VOLUME"], ["VWAP"], ["STOCH"], ["MA50"], ["ATR"]];
const STYLES = ["CANDLES", "LINE", "AREA", "BARS", "HEIKIN_ASHI"];
const PATTERNS = ["HEAD_AND_SHOULDERS", "DOUBLE_TOP", "BULL_FLAG", "ASCENDING_TRIANGLE", "CUP_AND_HANDLE"];
const TEXTS = [
  "Here's Tesla on the daily chart with RSI. Momentum is cooling after the recent run; support sits near the 50-day average.",
  "NVDA is consolidating under resistance. I've drawn the key levels and added volume so you can watch for a breakout.",
  "Switching to the weekly view. The trend remains intact above the 200-day moving average, with MACD turning positive.",
  "Bitcoin is testing the range high. Entry, stop and target are marked on the chart for the setup we discussed.",
  "I've loaded the S&P 500 with Bollinger Bands; volatility is compressing, which often precedes a larger move.",
  "Here is Apple with a Fibonacci retracement from the last swing; the 61.8% level lines up with prior support.",
];
const BAD_LEGACY = ["LOAD:TSLA!!", "FROBNICATE:1", "TIMEFRAME:7X", "SUPPORT:abc", "INDICATOR:FOO:ON", "ZOOM:SIDEWAYS", "RESISTANCE:-5", "", "LOAD:"];

/** `count` payloads from `seed`; the array carries `.stats` = { entries, malformed, camel, flagged }. */
export function makeCorpus({ count = 2000, seed = 42, malformedRate = 0.05 } = {}) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const price = () => Math.round((20 + r() * 900) * 100) / 100;
  const chance = (p) => r() < p;
  const time = () => 1_700_000_000 + int(0, 10_000_000);

  function legacyOne() {
    switch (int(0, 13)) {
      case 0: return `LOAD:${pick(SYMBOLS)}`;
      case 1: return `CHART:${pick(SYMBOLS)}`;
      case 2: return `TIMEFRAME:${pick(TIMEFRAMES)}`;
      case 3: { const [n, p] = pick(INDICATORS); return p ? `INDICATOR:${n}:ON:${p}` : `INDICATOR:${n}:${pick(["ON", "OFF"])}`; }
      case 4: return `${pick(["ADD", "SHOW", "HIDE", "REMOVE"])}:${pick(INDICATORS)[0].toLowerCase()}`;
      case 5: return `${pick(["SUPPORT", "RESISTANCE"])}:${price()}`;
      case 6: { const e = price(); return `ENTRY:${e} STOP:${Math.round(e * 0.95)} TARGET:${Math.round(e * 1.1)}`; }
      case 7: return chance(0.5) ? `TRENDLINE:${price()}:${time()}:${price()}:${time()}` : `TRENDLINE:${price()}:${price()}`;
      case 8: return `FIBONACCI:${price()}:${price()}`;
      case 9: return pick(["ZOOM:IN", "ZOOM:OUT", "ZOOM:OUT:2", "RESET:VIEW", "RESET:SCALE", "CROSSHAIR:ON", "CROSSHAIR:TOGGLE"]);
      case 10: return `STYLE:${pick(STYLES)}`;
      case 11: return `DRAW:LEVEL:p${int(1, 9)}:${pick(["support", "resistance"])}:${price()}`;
      case 12: return `ANNOTATE:PATTERN:p${int(1, 9)}:${pick(["confirmed", "forming", "failed"])}`;
      default: return `PATTERN:${pick(PATTERNS)}:${int(10, 60)}:${int(61, 120)}`;
    }
  }

  function structuredOne(camel) {
    const k = (snake, camelName) => (camel ? camelName : snake);
    const base = (type, payload) => {
      const c = { type, payload };
      if (chance(0.6)) c.description = pick(["Load the chart", "Show momentum", "Key level", "Weekly view", null]);
      if (chance(0.3)) c.timestamp = "2024-06-01T14:30:00Z";
      return c;
    };
    switch (int(0, 9)) {
      case 0: return base("load", chance(0.3) ? { symbol: pick(SYMBOLS), [k("asset_type", "assetType")]: "stock" } : { symbol: pick(SYMBOLS) });
      case 1: return base("timeframe", chance(0.2) ? { interval: pick(TIMEFRAMES) } : { value: pick(TIMEFRAMES) });
      case 2: { const [n, p] = pick(INDICATORS); return base("indicator", p ? { name: n, enabled: true, params: { period: p } } : { name: n, enabled: chance(0.8) }); }
      case 3: return base("drawing", { style: pick(["support", "resistance", "entry", "target", "stop_loss"]), price: price() });
      case 4: return base("drawing", { style: "trendline", [k("start_price", "startPrice")]: price(), [k("end_price", "endPrice")]: price(), [k("start_time", "startTime")]: time(), [k("end_time", "endTime")]: time() });
      case 5: return base("drawing", { style: "fibonacci", high: price() + 100, low: price() });
      case 6: return base("zoom", chance(0.5) ? { direction: "in" } : { direction: "out", amount: 2 });
      case 7: return base("style", { [k("chart_type", "chartType")]: pick(["candles", "line", "area", "heikin_ashi"]) });
      case 8: return base("pattern", { [k("pattern_type", "patternType")]: pick(PATTERNS).toLowerCase(), [k("pattern_id", "patternId")]: `p${int(1, 9)}`, status: "confirmed" });
      default: return base("crosshair", { mode: pick(["on", "off", "toggle"]) });
    }
  }

  function badStructured() {
    return pick([
      { type: "load", payload: { symbol: "TSLA!!" } },
      { type: "teleport", payload: {} },
      { type: "timeframe", payload: { value: "7X" } },
      { type: "drawing", payload: { style: "support", price: "abc" } },
      { type: "indicator", payload: { name: "FOO" } },
      { type: "zoom" },
      42,
      null,
      { type: "load", payload: { symbol: "NOPE!" }, legacy: "LOAD:AAPL" },
    ]);
  }

  const stats = { entries: 0, malformed: 0, camel: 0, flagged: 0 };
  const entry = (bad, good) => {
    stats.entries++;
    if (chance(malformedRate)) {
      stats.malformed++;
      return bad();
    }
    return good();
  };
  const legacyList = (n) => Array.from({ length: n }, () => entry(() => pick(BAD_LEGACY), legacyOne));
  const structuredList = (n, camel) => Array.from({ length: n }, () => entry(badStructured, () => structuredOne(camel)));

  const corpus = [];
  for (let i = 0; i < count; i++) {
    const camel = chance(0.4);
    const key = (snake, camelName) => (camel ? camelName : snake);
    const n = int(1, 12);
    const text = chance(0.7) ? pick(TEXTS) : null;
    const shape = r();
    let input;
    if (shape < 0.05) {
      input = chance(0.5) ? legacyList(n).join(" ") : legacyList(n);
    } else if (shape < 0.4) {
      input = { [key("chart_commands", "chartCommands")]: legacyList(n) };
    } else if (shape < 0.65) {
      input = { [key("chart_commands_structured", "chartCommandsStructured")]: structuredList(n, camel) };
    } else if (shape < 0.85) {
      const s = int(1, n);
      input = {
        [key("chart_commands", "chartCommands")]: legacyList(Math.max(1, n - s)),
        [key("chart_commands_structured", "chartCommandsStructured")]: structuredList(s, camel),
      };
    } else {
      const commands = structuredList(n, camel);
      const objects = {
        version: entry(() => "1.0", () => (chance(0.5) ? "2.0" : 2.0)),
        symbol: pick(SYMBOLS),
        timeframe: pick(TIMEFRAMES),
        overlays: [],
        indicators: [{ name: "RSI", enabled: true, params: { period: 14 } }],
        commands,
        notes: text,
      };
      input = { [key("chart_objects", "chartObjects")]: objects };
      if (n < 12 && chance(0.5)) input[key("chart_commands", "chartCommands")] = legacyList(int(1, Math.min(4, 12 - n)));
    }
    if (input && typeof input === "object" && !Array.isArray(input) && text && chance(0.5)) {
      input[key("response_text", "responseText")] = text;
    }
    const flagRoll = r();
    const flags = flagRoll < 0.7 ? undefined : flagRoll < 0.85 ? { preferStructured: true } : { structuredObjects: true };
    if (camel && input && typeof input === "object" && !Array.isArray(input)) stats.camel++;
    if (flags) stats.flagged++;
    corpus.push({ input, responseText: text, flags });
  }
  // Not part of the JSON: how many command entries (and chart_objects versions) were generated,
  // how many of them malformed on purpose, and how many payloads use camelCase keys or set a flag.
  Object.defineProperty(corpus, "stats", { value: stats, enumerable: false });
  return corpus;
}

const NEWS = [
  "Shares rose after the company reported deliveries above analyst estimates for the quarter.",
  "Analysts lifted their price targets, citing stronger margins and demand for data-center chips.",
  "The index closed at a record high as bond yields eased ahead of the central bank meeting.",
  "Regulators opened a review of the proposed acquisition; the stock slipped in after-hours trading.",
];

/**
 * The tools' data a real assistant response carries beside its commands (a quote, a price history,
 * news), about `bytes` of JSON, from its own seeded generator.
 */
export function toolData(bytes, seed) {
  const r = rng(seed);
  const price = () => Math.round((20 + r() * 900) * 100) / 100;
  const data = {
    quote: { symbol: SYMBOLS[Math.floor(r() * SYMBOLS.length)], price: price(), change: Math.round((r() - 0.5) * 1000) / 100, volume: Math.floor(r() * 5e7), currency: "USD" },
    history: [],
    news: [],
  };
  let t = 1_700_000_000;
  // Rows of [time, open, high, low, close, volume] until the history is about 70% of the budget,
  // then news items: the rest.
  while (JSON.stringify(data.history).length < bytes * 0.7) {
    const o = price();
    data.history.push([(t += 86_400), o, Math.round(o * 1.02 * 100) / 100, Math.round(o * 0.98 * 100) / 100, price(), Math.floor(r() * 5e7)]);
  }
  while (JSON.stringify(data).length < bytes) {
    data.news.push({ title: NEWS[Math.floor(r() * NEWS.length)].slice(0, 48), url: `https://news.example/${Math.floor(r() * 1e9)}`, summary: NEWS[Math.floor(r() * NEWS.length)] });
  }
  return data;
}

/**
 * The corpus' object payloads (the ones that can carry fields beside the commands), each twice:
 * `plain` as generated, `tools` the same payload plus `tool_results` holding about `bytes` of JSON
 * (`toolData`). The commands, flags and response text are the same, so are the answers.
 */
export function toolDataPair(corpus, { bytes = 5000, seed = 7 } = {}) {
  const plain = corpus.filter((p) => p.input !== null && typeof p.input === "object" && !Array.isArray(p.input));
  const tools = plain.map((p, i) => ({ ...p, input: { ...p.input, tool_results: toolData(bytes, seed + i) } }));
  return { plain, tools };
}
