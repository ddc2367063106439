/**
 * `@chartgate/chart-commands/understand` in node (the `node` export condition): the understand
 * module is read from the package and instantiated synchronously at import; `init()` resolves at once.
 */
import { readFileSync } from "node:fs";
import { initSync as initWasmSync } from "../pkg-understand/chartgate_understand.js";
import type { InitInput, SyncInitInput } from "../pkg-understand/chartgate_understand.js";
import { markUnderstandReady } from "./understand-api.js";

export { understand, isUnderstandReady as isReady, isChartgateError } from "./understand-api.js";
export type { ChartgateError, ChartgateErrorCode, Intent, Understanding } from "./understand-api.js";
export type { InitInput, SyncInitInput } from "../pkg-understand/chartgate_understand.js";

initWasmSync({
  module: readFileSync(new URL("../pkg-understand/chartgate_understand_bg.wasm", import.meta.url)),
});
markUnderstandReady();

/** Already initialized in node; resolves at once (the argument is ignored). */
export function init(_input?: InitInput | Promise<InitInput>): Promise<void> {
  return Promise.resolve();
}

/** Already initialized in node; does nothing (the argument is ignored). */
export function initSync(_module?: SyncInitInput): void {}
