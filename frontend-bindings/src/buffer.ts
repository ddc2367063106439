/**
 * The command buffer for voice answers: takes a streamed answer's events while its text streams
 * and releases its chart commands in execution order, at once or paced by speech.
 *
 * Owns: when a command is handed to the chart. Must not: decide what a command means or how
 * commands rank. The execution order is core's (`normalizeChartCommandPayload`'s `commands`
 * order: clear, load, timeframe, style, indicator, drawing, …), which sentence mentions a command
 * is core's `understand` of that sentence, and duplicates are equal canonical `legacy` strings.
 *
 * The one rule of its own: a command that is not itself a context command (`clear`, `load`,
 * `timeframe`, `style`) waits until the answer's symbol and timeframe are settled, that is until
 * the answer's `load` and `timeframe` have both been released, or the answer's commands are all
 * known (`total` received, or `done`) and its context commands released.
 */
import type { Command, NormalizeFlags } from "../pkg/chartgate_wasm.js";
import { normalizeChartCommandPayload } from "./api.js";
import { chartgateError } from "./errors.js";
import { isUnderstandReady, understand } from "./understand-api.js";
import type { StreamEvent } from "./events.js";

/**
 * `immediate`: commands go out as soon as the ordering rule allows. `speech`: also not before
 * their sentence is spoken (`spoken(index)`): a command's sentence is the first complete
 * sentence whose `understand()` mentions it (same legacy verb and first argument), else the
 * sentence being streamed when it arrived; commands whose sentence never comes (no more text)
 * go out on `done`. `spoken(Infinity)` releases everything (speech ended or is unavailable).
 * Speech pacing needs the understand module: `await init()` from
 * `@chartgate/chart-commands/understand` before making such a buffer (in node it is ready at import).
 */
export type Pacing = "immediate" | "speech";

/** One complete sentence of the answer's text. */
export interface Sentence {
  index: number;
  text: string;
}

export interface BufferOptions {
  /** Receives each batch of released commands, in execution order. */
  onRelease: (commands: Command[]) => void;
  /** Default `immediate`. */
  pacing?: Pacing;
  /** Each complete sentence of the text as it streams (to speak; call `spoken(index)` when it is). */
  onSentence?: (sentence: Sentence) => void;
  /** The caller's rollout flags (as given to `streamAsk`), for `done`'s full list. */
  flags?: NormalizeFlags;
  /** Locale of the sentence segmenter (default the runtime's). */
  locale?: string;
}

interface Pending {
  command: Command;
  /** The sentence it goes out with under speech pacing. */
  sentence: number;
}

const CONTEXT = new Set(["clear", "load", "timeframe", "style"]);

/** A command's mention key: the legacy verb and its first argument (`INDICATOR:RSI`, `SUPPORT:430`). */
function mentionKey(legacy: string): string {
  return legacy.split(":").slice(0, 2).join(":");
}

export class ChartCommandBuffer {
  readonly #o: BufferOptions;
  readonly #segmenter: Intl.Segmenter;
  #seen = new Set<string>();
  #pending: Pending[] = [];
  #released: Command[] = [];
  #releasedTypes = new Set<string>();
  #text = "";
  /** Mention keys per complete sentence. */
  #sentences: Set<string>[] = [];
  #spokenUpTo = -1;
  #received = 0;
  #total: number | undefined;
  #finished = false;
  #dropped = false;

  /** Throws a `ChartgateError` (`not_initialized`) for speech pacing before the understand module is ready. */
  constructor(options: BufferOptions) {
    if (options.pacing === "speech" && !isUnderstandReady()) {
      throw chartgateError(
        "not_initialized",
        "speech pacing reads each sentence with understand(): `await init()` from @chartgate/chart-commands/understand first",
      );
    }
    this.#o = options;
    this.#segmenter = new Intl.Segmenter(options.locale, { granularity: "sentence" });
  }

  /** Commands received and not yet released. */
  get pending(): readonly Command[] {
    return this.#pending.map((p) => p.command);
  }

  /** Every command released so far, in release order. */
  get released(): readonly Command[] {
    return this.#released;
  }

  /** Whether the buffer has stopped: after `done` (all released), `error`, a failed stream or `cancel()`. */
  get ended(): boolean {
    return this.#finished || this.#dropped;
  }

  /** Feeds one event of `streamAsk` (any type; the ones that do not matter are ignored). */
  push(event: StreamEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case "content":
        this.#text += event.text;
        this.#splitSentences(false);
        break;
      case "chart_command":
        this.#received++;
        if (event.total !== undefined) this.#total = event.total;
        for (const command of event.commands) this.#add(command);
        break;
      case "command_issue":
        this.#received++;
        if (event.total !== undefined) this.#total = event.total;
        break;
      case "done":
        this.#splitSentences(true);
        // The full list: anything not streamed (there should be nothing) still goes out.
        for (const command of event.normalized.commands) this.#add(command);
        this.#finished = true;
        break;
      case "error":
        this.cancel();
        return;
      case "connection":
        if (event.state === "failed" || (event.state === "closed" && event.aborted)) this.cancel();
        return;
      default:
        return;
    }
    this.#pump();
  }

  /** Speech pacing: sentence `index` (from `onSentence`) is being spoken; releases what it mentions. */
  spoken(index: number): void {
    if (this.#dropped) return;
    this.#spokenUpTo = Math.max(this.#spokenUpTo, index);
    this.#pump();
  }

  /** Drops everything pending; nothing more is released. */
  cancel(): void {
    this.#pending = [];
    this.#dropped = true;
  }

  #add(command: Command): void {
    if (this.#seen.has(command.legacy)) return;
    this.#seen.add(command.legacy);
    // Its sentence: the first complete one that mentions it, else the one being streamed as it
    // arrived (the text it came with).
    const key = mentionKey(command.legacy);
    const mentioned = this.#sentences.findIndex((keys) => keys.has(key));
    this.#pending.push({ command, sentence: mentioned >= 0 ? mentioned : this.#sentences.length });
  }

  /** Moves complete sentences out of the text (all of it when `final`), reads their mentions. */
  #splitSentences(final: boolean): void {
    const parts = [...this.#segmenter.segment(this.#text)].map((s) => s.segment);
    // The last segment may still grow unless the text is complete.
    const complete = final ? parts : parts.slice(0, -1);
    if (complete.length === 0) return;
    this.#text = final ? "" : (parts[parts.length - 1] ?? "");
    for (const raw of complete) {
      const text = raw.trim();
      if (text === "") continue;
      const index = this.#sentences.length;
      // Only speech pacing places commands by their sentence.
      const keys = new Set<string>(this.#o.pacing === "speech" ? understand(text).legacy.map(mentionKey) : []);
      this.#sentences.push(keys);
      this.#o.onSentence?.({ index, text });
    }
  }

  /** Whether pacing lets `p` go: always at once; with speech, once its sentence is spoken, or on
   * `done` when the text has no such sentence. */
  #due(p: Pending): boolean {
    if (this.#o.pacing !== "speech") return true;
    return p.sentence <= this.#spokenUpTo || (this.#finished && p.sentence >= this.#sentences.length);
  }

  #pump(): void {
    if (this.#dropped || this.#pending.length === 0) return;
    const due = this.#pending.filter((p) => this.#due(p));
    const context = due.filter((p) => CONTEXT.has(p.command.type));
    const allKnown = this.#finished || (this.#total !== undefined && this.#received >= this.#total);
    // Context commands still held back (by speech) hold back everything that depends on them.
    const contextHeld = this.#pending.some((p) => CONTEXT.has(p.command.type) && !this.#due(p));
    const willHave = new Set([...this.#releasedTypes, ...context.map((p) => p.command.type)]);
    const settled = !contextHeld && (allKnown || (willHave.has("load") && willHave.has("timeframe")));
    const batch = settled ? due : context;
    if (batch.length === 0) return;
    const out = this.#inExecutionOrder(batch.map((p) => p.command));
    const gone = new Set(batch);
    this.#pending = this.#pending.filter((p) => !gone.has(p));
    for (const c of out) {
      this.#released.push(c);
      this.#releasedTypes.add(c.type);
    }
    this.#o.onRelease(out);
  }

  /** The commands in core's execution order (core deduplicates and ranks; nothing is re-ranked here). */
  #inExecutionOrder(commands: Command[]): Command[] {
    if (commands.length < 2) return commands;
    const byLegacy = new Map(commands.map((c) => [c.legacy, c]));
    const ranked = normalizeChartCommandPayload({ chart_commands_structured: commands }, null, { preferStructured: true }).commands;
    const out = ranked.map((c: Command) => byLegacy.get(c.legacy) ?? c);
    // Anything core did not return (it returns all valid ones) keeps its place at the end.
    const returned = new Set(out.map((c: Command) => c.legacy));
    for (const c of commands) if (!returned.has(c.legacy)) out.push(c);
    return out;
  }
}
