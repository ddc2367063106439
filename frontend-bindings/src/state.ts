/** Whether the wasm module is instantiated. Internal: set by the entry modules, read by `api.ts`. */
let ready = false;

/** Called by the entry modules once the wasm module is instantiated. */
export function markReady(): void {
  ready = true;
}

/** Whether the wasm module is instantiated (always in node; after `await init()` elsewhere). */
export function isReady(): boolean {
  return ready;
}
