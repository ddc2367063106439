// Checks the generated wasm .d.ts (pkg/chartgate_wasm.d.ts, from tsify + wasm-bindgen) against the
// committed snapshot types/chartgate_wasm.d.ts. The snapshot is regenerated, never hand-edited:
//   node scripts/check-dts.mjs            → exit 1 with a diff hint when they differ
//   node scripts/check-dts.mjs --update   → copy the generated file over the snapshot
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const generated = join(here, "pkg", "chartgate_wasm.d.ts");
const snapshot = join(here, "types", "chartgate_wasm.d.ts");
if (!existsSync(generated)) {
  console.error(`${generated} is missing: run npm run build:wasm first`);
  process.exit(1);
}
if (process.argv.includes("--update")) {
  copyFileSync(generated, snapshot);
  console.log(`updated ${snapshot}`);
  process.exit(0);
}
const a = existsSync(snapshot) ? readFileSync(snapshot, "utf8") : "";
const b = readFileSync(generated, "utf8");
if (a !== b) {
  const al = a.split("\n");
  const bl = b.split("\n");
  const i = al.findIndex((line, k) => line !== bl[k]);
  console.error(`d.ts drift: ${snapshot} differs from the generated ${generated}`);
  console.error(`first difference at line ${i + 1}:\n  snapshot:  ${al[i] ?? "<end>"}\n  generated: ${bl[i] ?? "<end>"}`);
  console.error("review the change, then run: npm run snapshot:update (in frontend-bindings)");
  process.exit(1);
}
console.log("d.ts snapshot: up to date");
