/**
 * Entry for browsers (plain ESM), bundlers (Vite, webpack 5) and workers: `await init()` once,
 * then call the functions synchronously. The wasm file is found next to the glue with
 * `new URL(..., import.meta.url)`, which bundlers turn into an asset URL.
 */
import initWasm, { initSync as initWasmSync } from "../pkg/chartgate_wasm.js";
import type { InitInput, SyncInitInput } from "../pkg/chartgate_wasm.js";
import { markReady } from "./state.js";

export * from "./api.js";
export type { InitInput, SyncInitInput } from "../pkg/chartgate_wasm.js";

let loading: Promise<void> | undefined;

/**
 * Fetches, compiles and instantiates the wasm module; call once before anything else. Safe to
 * call repeatedly and concurrently (one load). Pass the wasm's URL, a `Response`, its bytes or a
 * compiled `WebAssembly.Module` to load it from somewhere else (CDN, CSP, tests).
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void> {
  loading ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
    () => markReady(),
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

/** Instantiates synchronously from bytes or a compiled module (workers, tests). */
export function initSync(module: SyncInitInput): void {
  initWasmSync({ module });
  markReady();
  loading ??= Promise.resolve();
}
