// Builds the wasm package with wasm-pack (web target, size-tuned `wasm-release` profile):
//   node scripts/build-wasm.mjs                → pkg/              (what the npm package ships)
//   node scripts/build-wasm.mjs --conformance  → pkg-conformance/  (adds the test-only vector exports)
//   node scripts/build-wasm.mjs --probes       → pkg-probes/       (adds bench/stages.mjs's stage exports)
// wasm-pack runs with `--mode no-install`, so it never downloads anything: wasm-bindgen 0.2.130 and
// wasm-opt (binaryen 132 from npm, in ../.tools) must already be installed — `bash ../scripts/test-wasm.sh`
// installs both. wasm-pack uses the first wasm-opt on PATH, so ../.tools comes first.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const feature = ["conformance", "probes"].find((f) => process.argv.includes(`--${f}`));
const outDir = feature ? `pkg-${feature}` : "pkg";
const binaryen = join(root, ".tools", "binaryen", "node_modules", ".bin");

if (!existsSync(join(binaryen, "wasm-opt"))) {
  console.error(`wasm-opt (binaryen 132) not found in ${binaryen}; run: bash scripts/test-wasm.sh --install-only`);
  process.exit(1);
}
const env = { ...process.env, PATH: `${binaryen}${delimiter}${process.env.PATH ?? ""}` };
const out = join(here, "..", outDir);
rmSync(out, { recursive: true, force: true });
const args = [
  "build", join(root, "wasm"),
  "--profile", "wasm-release",
  "--target", "web",
  "--mode", "no-install",
  "--no-pack", "--no-gitignore",
  "--out-dir", out,
  "--out-name", "chartgate_wasm",
];
if (feature) args.push("--", "--features", feature);
const r = spawnSync("wasm-pack", args, { stdio: "inherit", env });
if (r.error) {
  console.error(`cannot run wasm-pack: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
