// Checks the generated wasm .d.ts of both modules (from tsify + wasm-bindgen) against the committed
// snapshots in types/. The snapshots are regenerated, never hand-edited:
//   node scripts/check-dts.mjs            → exit 1 with a diff hint when one differs
//   node scripts/check-dts.mjs --update   → copy the generated files over the snapshots
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const pairs = [
  [join(here, "pkg", "chartgate_wasm.d.ts"), join(here, "types", "chartgate_wasm.d.ts")],
  [join(here, "pkg-understand", "chartgate_understand.d.ts"), join(here, "types", "chartgate_understand.d.ts")],
];
let drift = false;
for (const [generated, snapshot] of pairs) {
  if (!existsSync(generated)) {
    console.error(`${generated} is missing: run npm run build:wasm first`);
    process.exit(1);
  }
  if (process.argv.includes("--update")) {
    copyFileSync(generated, snapshot);
    console.log(`updated ${snapshot}`);
    continue;
  }
  const a = existsSync(snapshot) ? readFileSync(snapshot, "utf8") : "";
  const b = readFileSync(generated, "utf8");
  if (a !== b) {
    const al = a.split("\n");
    const bl = b.split("\n");
    const i = al.findIndex((line, k) => line !== bl[k]);
    console.error(`d.ts drift: ${snapshot} differs from the generated ${generated}`);
    console.error(`first difference at line ${i + 1}:\n  snapshot:  ${al[i] ?? "<end>"}\n  generated: ${bl[i] ?? "<end>"}`);
    drift = true;
  }
}
if (drift) {
  console.error("review the change, then run: npm run snapshot:update (in frontend-bindings)");
  process.exit(1);
}
if (!process.argv.includes("--update")) console.log("d.ts snapshots: up to date");
