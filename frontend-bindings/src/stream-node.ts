/**
 * `@chartgate/chart-commands/stream` in node (the `node` export condition): the node entries
 * instantiate both wasm modules at import (the buffer's speech pacing uses the understand
 * module), then the same stream client and buffer as browsers.
 */
import "./node.js";
import "./understand-node.js";

export * from "./stream.js";
