/**
 * The demo page: a question (typed, or spoken with push-to-talk where the browser has speech
 * recognition) is streamed from `/api/agent/stream` by the package's `streamAsk`; its text shows
 * as it arrives and its chart commands reach the chart through `ChartCommandBuffer` (at once, or
 * following the voice when "Speak answers" is on and the browser can speak).
 *
 * `window.__chartgate_demo` exposes the page's state for tests and curious readers, and
 * `window.__chartgate_stream` the package's `streamAsk`.
 */
import { init } from "@chartgate/chart-commands";
import type { Command, Issue } from "@chartgate/chart-commands";
import { ChartCommandBuffer, streamAsk, type ConnectionEvent } from "@chartgate/chart-commands/stream";
import { apply, DemoChart, initialState, type ChartState } from "./chart.js";

interface AnswerRow {
  query: string;
  model?: string;
  tier?: string;
  cost_usd?: number;
  cached?: boolean;
  /** How core normalized `done` under the page's flags: its `mode` and `source`. */
  normalizer?: string;
  error?: string;
  issues: Issue[];
}

interface DemoState {
  ready: boolean;
  busy: boolean;
  connection: ConnectionEvent["state"] | "idle";
  text: string;
  chart: ChartState;
  answers: AnswerRow[];
  /** Renders of the answer text while a stream was open (progressive rendering). */
  textUpdates: number;
  /** Commands released by the buffer, in order. */
  released: string[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("ask");
const query = $<HTMLInputElement>("query");
const talk = $<HTMLButtonElement>("talk");
const answerEl = $("answer");
const connectionEl = $("connection");
const answersEl = $("answers");
const summaryEl = $("chart-summary");
const labelEl = $("chart-label");
const flagStructured = $<HTMLInputElement>("flag-structured");
const flagObjects = $<HTMLInputElement>("flag-objects");
const speak = $<HTMLInputElement>("speak");

const state: DemoState = {
  ready: false,
  busy: false,
  connection: "idle",
  text: "",
  chart: initialState(),
  answers: [],
  textUpdates: 0,
  released: [],
};
(window as unknown as { __chartgate_demo: DemoState }).__chartgate_demo = state;
// The package's stream client as this page bundles it, for tests that drive many streams
// through the page's own origin (test/stream-browser.test.ts) and for the curious, in the console.
(window as unknown as { __chartgate_stream: typeof streamAsk }).__chartgate_stream = streamAsk;

const chart = new DemoChart($("chart"));
// The API is same-origin (`chartgate serve`); `?api=URL` points the page elsewhere (e.g. `vite dev`).
const api = new URL(new URLSearchParams(location.search).get("api") ?? "/api/agent/stream", location.href);
const sessionId = `demo-${Math.random().toString(36).slice(2, 10)}`;
let current: { abort: AbortController; buffer: ChartCommandBuffer } | undefined;

function renderChart(): void {
  chart.render(state.chart);
  const s = state.chart;
  labelEl.textContent = `${s.symbol} · ${s.timeframe}`;
  const parts = [
    `${s.symbol} ${s.timeframe} ${s.chartType}`,
    s.indicators.length ? `indicators: ${s.indicators.map((i) => (i.period ? `${i.name} ${i.period}` : i.name)).join(", ")}` : "",
    s.lines.length ? `levels: ${s.lines.map((l) => `${l.style} ${l.price}`).join(", ")}` : "",
    s.trendlines.length ? `trendlines: ${s.trendlines.length}` : "",
    s.fibonacci.length ? `fibonacci: ${s.fibonacci.map((f) => `${f.high}–${f.low}`).join(", ")}` : "",
    s.patterns.length ? `patterns: ${s.patterns.map((p) => p.pattern_type ?? p.pattern_id).join(", ")}` : "",
    s.visibleBars ? `zoom: ${s.visibleBars} bars` : "",
  ];
  summaryEl.textContent = parts.filter(Boolean).join(" · ");
}

function renderAnswers(): void {
  answersEl.replaceChildren(
    ...state.answers.map((a) => {
      const tr = document.createElement("tr");
      const issues = a.issues.map((i) => `${i.severity} ${i.code} at ${JSON.stringify(i.path)}: ${i.message}`);
      if (a.error) issues.unshift(`error ${a.error}`);
      for (const text of [a.query, a.model ?? "…", a.tier ?? "…", a.cost_usd === undefined ? "…" : a.cost_usd.toFixed(6), a.cached === undefined ? "…" : String(a.cached), a.normalizer ?? "…", issues.join("\n") || "none"]) {
        const td = document.createElement("td");
        td.textContent = text;
        td.style.whiteSpace = "pre-wrap";
        tr.append(td);
      }
      return tr;
    }),
  );
}

function setConnection(e: ConnectionEvent): void {
  state.connection = e.state;
  connectionEl.dataset["state"] = e.state;
  connectionEl.textContent =
    e.state === "reconnecting"
      ? `reconnecting (attempt ${e.attempt}, in ${(e.delayMs! / 1000).toFixed(1)} s)`
      : e.state === "failed"
        ? `failed: ${e.code}`
        : e.state === "closed" && e.aborted
          ? "cancelled"
          : e.state;
}

/** Speaks a sentence; the buffer releases its commands when the voice starts it. */
function say(buffer: ChartCommandBuffer, index: number, text: string): void {
  const u = new SpeechSynthesisUtterance(text);
  u.onstart = () => buffer.spoken(index);
  // A voice that fails must not hold the chart back.
  u.onerror = () => buffer.spoken(Infinity);
  speechSynthesis.speak(u);
}

async function ask(text: string): Promise<void> {
  current?.abort.abort();
  current?.buffer.cancel();
  if (typeof speechSynthesis !== "undefined") speechSynthesis.cancel();
  const abort = new AbortController();
  const voice = speak.checked && typeof speechSynthesis !== "undefined";
  // Speech pacing reads sentences with the understand module: loaded the first time it is needed.
  if (voice) await (await import("@chartgate/chart-commands/understand")).init();
  const row: AnswerRow = { query: text, issues: [] };
  state.answers.unshift(row);
  const flags = { preferStructured: flagStructured.checked, structuredObjects: flagObjects.checked };
  const buffer: ChartCommandBuffer = new ChartCommandBuffer({
    pacing: voice ? "speech" : "immediate",
    flags,
    onSentence: voice ? (s) => say(buffer, s.index, s.text) : undefined,
    onRelease: (commands: Command[]) => {
      for (const c of commands) {
        apply(state.chart, c);
        state.released.push(c.legacy);
      }
      renderChart();
    },
  });
  current = { abort, buffer };
  state.busy = true;
  state.text = "";
  answerEl.textContent = "";
  renderAnswers();
  const request = {
    query: text,
    session_id: sessionId,
    chart_context: { symbol: state.chart.symbol, timeframe: state.chart.timeframe },
  };
  try {
    for await (const e of streamAsk(api, request, { signal: abort.signal, flags })) {
      buffer.push(e);
      switch (e.type) {
        case "connection":
          setConnection(e);
          break;
        case "metadata":
          Object.assign(row, { model: e.model, tier: e.tier, cached: e.cached });
          break;
        case "content":
          state.text += e.text;
          answerEl.textContent = state.text;
          state.textUpdates++;
          break;
        case "chart_command":
        case "command_issue":
          row.issues.push(...e.issues);
          break;
        case "done":
          Object.assign(row, { model: e.model, tier: e.tier, cached: e.cached, cost_usd: e.cost_usd, normalizer: `${e.normalized.mode}, ${e.normalized.source}` });
          state.text = e.text;
          answerEl.textContent = e.text;
          break;
        case "error":
          row.error = `${e.code}: ${e.message}`;
          break;
      }
      renderAnswers();
    }
  } finally {
    if (current?.abort === abort) state.busy = false;
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = query.value.trim();
  if (text) void ask(text);
});

// Push-to-talk: hold the button (pointer, Space or Enter) while speaking; releasing it asks.
type Recognition = {
  lang: string;
  interimResults: boolean;
  onresult: ((e: { results: ArrayLike<ArrayLike<{ transcript: string }>> }) => void) | null;
  onend: (() => void) | null;
  start(): void;
  stop(): void;
};
const RecognitionCtor = (window as unknown as { SpeechRecognition?: new () => Recognition; webkitSpeechRecognition?: new () => Recognition })
  .SpeechRecognition ?? (window as unknown as { webkitSpeechRecognition?: new () => Recognition }).webkitSpeechRecognition;
if (!RecognitionCtor) {
  talk.disabled = true;
  talk.title = "Speech recognition is not available in this browser: type the question instead.";
} else {
  let recognition: Recognition | undefined;
  const start = () => {
    if (recognition) return;
    // Barge-in: talking over the answer stops the voice and drops the commands it has not reached.
    if (typeof speechSynthesis !== "undefined") speechSynthesis.cancel();
    current?.buffer.cancel();
    recognition = new RecognitionCtor();
    recognition.lang = navigator.language || "en-US";
    recognition.interimResults = true;
    recognition.onresult = (e) => {
      query.value = Array.from(e.results, (r) => r[0]?.transcript ?? "").join("");
    };
    recognition.onend = () => {
      recognition = undefined;
      talk.setAttribute("aria-pressed", "false");
      const text = query.value.trim();
      if (text) void ask(text);
    };
    talk.setAttribute("aria-pressed", "true");
    recognition.start();
  };
  const stop = () => recognition?.stop();
  talk.addEventListener("pointerdown", start);
  talk.addEventListener("pointerup", stop);
  talk.addEventListener("pointerleave", stop);
  talk.addEventListener("keydown", (e) => {
    if ((e.key === " " || e.key === "Enter") && !e.repeat) {
      e.preventDefault();
      start();
    }
  });
  talk.addEventListener("keyup", (e) => {
    if (e.key === " " || e.key === "Enter") stop();
  });
}

await init();
renderChart();
state.ready = true;
