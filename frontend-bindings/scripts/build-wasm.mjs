// Builds the package's two wasm modules with wasm-pack (web target, size-tuned `wasm-release` profile):
//   node scripts/build-wasm.mjs                → pkg/ (the eager module, crate wasm/) and
//                                                pkg-understand/ (the understand module, crate wasm-understand/):
//                                                what the npm package ships
//   node scripts/build-wasm.mjs --conformance  → pkg-conformance/ and pkg-understand-conformance/
//                                                (each adds the test-only vector exports)
//   node scripts/build-wasm.mjs --probes       → pkg-probes/ (the eager module plus bench/stages.mjs's stage exports)
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
const suffix = feature ? `-${feature}` : "";
const binaryen = join(root, ".tools", "binaryen", "node_modules", ".bin");

if (!existsSync(join(binaryen, "wasm-opt"))) {
  console.error(`wasm-opt (binaryen 132) not found in ${binaryen}; run: bash scripts/test-wasm.sh --install-only`);
  process.exit(1);
}
const env = { ...process.env, PATH: `${binaryen}${delimiter}${process.env.PATH ?? ""}` };

/** The modules: crate directory, output directory, output name. */
const modules = [{ crate: "wasm", out: `pkg${suffix}`, name: "chartgate_wasm" }];
if (feature !== "probes") {
  modules.push({ crate: "wasm-understand", out: `pkg-understand${suffix}`, name: "chartgate_understand" });
}

for (const m of modules) {
  const out = join(here, "..", m.out);
  rmSync(out, { recursive: true, force: true });
  const args = [
    "build", join(root, m.crate),
    "--profile", "wasm-release",
    "--target", "web",
    "--mode", "no-install",
    "--no-pack", "--no-gitignore",
    "--out-dir", out,
    "--out-name", m.name,
  ];
  if (feature) args.push("--", "--features", feature);
  const r = spawnSync("wasm-pack", args, { stdio: "inherit", env });
  if (r.error) {
    console.error(`cannot run wasm-pack: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
