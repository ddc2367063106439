// The demo page (docs/demo.md): `npm run build:demo` → demo/dist/ (served by `chartgate serve` at /).
// The package is taken from this directory's own build (dist/ + pkg/ + pkg-understand/: `npm run build` first), so the
// demo always runs the code in the tree. Everything is bundled: no external fonts, scripts or CDNs.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  logLevel: "warn",
  resolve: {
    alias: [
      { find: /^@chartgate\/chart-commands\/stream$/, replacement: here("../dist/stream.js") },
      { find: /^@chartgate\/chart-commands\/understand$/, replacement: here("../dist/understand.js") },
      { find: /^@chartgate\/chart-commands$/, replacement: here("../dist/index.js") },
    ],
  },
  optimizeDeps: { exclude: ["@chartgate/chart-commands"] },
  build: { outDir: here("dist"), emptyOutDir: true, target: "es2022" },
  // `npm run dev:demo`: the API from a `chartgate serve` on the default address.
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
