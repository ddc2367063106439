// Headless Chromium for the bench runners and the tests (test/helpers.ts): Debian's /usr/bin/chromium (or $CHROMIUM_PATH) driven by
// playwright-core, and a static server for frontend-bindings/ on 127.0.0.1 (cross-origin isolated).
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";

/** Serves the files under `root` on an ephemeral loopback port; resolves to the listening server. */
export function serve(root) {
  const mime = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    if (!path.startsWith(root + sep)) return res.writeHead(403).end();
    try {
      statSync(path);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, {
      "content-type": mime[extname(path)] ?? "application/octet-stream",
      "cache-control": "no-store",
      // Cross-origin isolation: performance.now() at 5 µs instead of 100 µs resolution.
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    createReadStream(path).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** A fresh headless browser (fresh profile, no code cache). */
export async function launch() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
  });
}

/** Opens `url` in a new page, waits for the page to set `window.result` and returns it. */
export async function pageResult(browser, url, timeout) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout });
  const r = await page.evaluate(() => window.result);
  await page.close();
  if (r.error) throw new Error(`page: ${r.error}`);
  return r;
}
