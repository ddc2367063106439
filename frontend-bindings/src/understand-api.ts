/**
 * The typed API over the understand module (`chartgate-wasm-understand`), shared by its browser
 * entry (`understand.ts`) and its node entry (`understand-node.ts`). A second wasm module, so pages
 * that never understand text (most of them) never download it.
 * @internal Only the entries import this file.
 */
import * as wasm from "../pkg-understand/chartgate_understand.js";
import type { Understanding } from "../pkg-understand/chartgate_understand.js";
import { chartgateError } from "./errors.js";

export type { Intent, Understanding } from "../pkg-understand/chartgate_understand.js";
export type { ChartgateError, ChartgateErrorCode } from "./errors.js";
export { isChartgateError } from "./errors.js";

let ready = false;

/** Called by the entries once the module is instantiated. @internal */
export function markUnderstandReady(): void {
  ready = true;
}

/** Whether the understand module is instantiated (always in node; after its `init()` elsewhere). */
export function isUnderstandReady(): boolean {
  return ready;
}

/**
 * Intent and chart commands understood from a plain-text request (a typed or spoken question),
 * with no model call: core's `understand`, the one the server runs before routing.
 */
export function understand(text: string): Understanding {
  if (!ready) {
    throw chartgateError(
      "not_initialized",
      "@chartgate/chart-commands/understand is not initialized: `await init()` from it once before calling it",
    );
  }
  return wasm.understand(text);
}
