/**
 * Entry for node (selected by the `node` export condition): the wasm module is read from the
 * package and instantiated synchronously at import, so the functions work right away; `init()`
 * exists for code shared with the browser and resolves at once.
 */
import { readFileSync } from "node:fs";
import { initSync as initWasmSync } from "../pkg/chartgate_wasm.js";
import type { InitInput, SyncInitInput } from "../pkg/chartgate_wasm.js";
import { markReady } from "./state.js";

export * from "./api.js";
export type { InitInput, SyncInitInput } from "../pkg/chartgate_wasm.js";

initWasmSync({ module: readFileSync(new URL("../pkg/chartgate_wasm_bg.wasm", import.meta.url)) });
markReady();

/** Already initialized in node; resolves at once (the argument is ignored). */
export function init(_input?: InitInput | Promise<InitInput>): Promise<void> {
  return Promise.resolve();
}

/** Already initialized in node; does nothing (the argument is ignored). */
export function initSync(_module?: SyncInitInput): void {}
