/**
 * `@chartgate/chart-commands/stream`: the stream client (`streamAsk`) and the voice command
 * buffer (`ChartCommandBuffer`). A subpath of its own, so the eager entry's download is unchanged;
 * it loads the same wasm module as the main entry (`init()` is awaited by `streamAsk` if the app
 * has not called it yet).
 */
export { streamAsk, backoffCeiling } from "./client.js";
export type { RetryOptions, StreamOptions } from "./client.js";
export { ChartCommandBuffer } from "./buffer.js";
export type { BufferOptions, Pacing, Sentence } from "./buffer.js";
export type * from "./events.js";
