// A wasm-pack output directory (pkg/, pkg-probes/ or a copy of either), imported and initialized in node.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export async function loadBuild(dir) {
  const m = await import(pathToFileURL(resolve(dir, "chartgate_wasm.js")).href);
  m.initSync({ module: readFileSync(resolve(dir, "chartgate_wasm_bg.wasm")) });
  return m;
}
