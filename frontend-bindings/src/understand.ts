/**
 * `@chartgate/chart-commands/understand` for browsers, bundlers and workers: the understand module,
 * loaded on first use. Import it where a page first needs it (a dynamic `import()` makes bundlers
 * split it into its own chunk), `await init()` once, then call `understand` synchronously. Its
 * `init` is its own: the eager entry's `init` does not load this module, and this one does not
 * load the eager module.
 */
import initWasm, { initSync as initWasmSync } from "../pkg-understand/chartgate_understand.js";
import type { InitInput, SyncInitInput } from "../pkg-understand/chartgate_understand.js";
import { markUnderstandReady } from "./understand-api.js";

export { understand, isUnderstandReady as isReady, isChartgateError } from "./understand-api.js";
export type { ChartgateError, ChartgateErrorCode, Intent, Understanding } from "./understand-api.js";
export type { InitInput, SyncInitInput } from "../pkg-understand/chartgate_understand.js";

let loading: Promise<void> | undefined;

/**
 * Fetches, compiles and instantiates the understand module; safe to call repeatedly and
 * concurrently (one load). Pass its wasm's URL, a `Response`, its bytes or a compiled
 * `WebAssembly.Module` to load it from somewhere else.
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void> {
  loading ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
    () => markUnderstandReady(),
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
  markUnderstandReady();
  loading ??= Promise.resolve();
}
