/**
 * `@chartgate/chart-commands/stream` in node (the `node` export condition): the node entry
 * instantiates the wasm module at import, then the same stream client and buffer as browsers.
 */
import "./node.js";

export * from "./stream.js";
