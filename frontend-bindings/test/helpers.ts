/**
 * Shared test helpers: repository paths, raw JSON scanning (to compare with native bytes without
 * going through JS numbers), a static file server on 127.0.0.1 and a headless Chromium launcher.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** frontend-bindings/test (the compiled tests run from test/.out). */
export const testDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const bindingsDir = resolve(testDir, "..");
export const repoDir = resolve(bindingsDir, "..");
export const vectorsDir = join(repoDir, "tests", "vectors");
/** The packed package as a user installs it (scripts/test-wasm.sh extracts `npm pack` here). */
export const installedDir = join(testDir, "node_modules", "@chartgate", "chart-commands");

/** Removes the whitespace outside strings: serde_json's pretty output → its compact output. */
export function compact(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[++i];
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t") {
      out += c;
    }
  }
  return out;
}

/** A JSON value's raw text, with its direct children's raw texts for objects and arrays. */
export interface RawJson {
  text: string;
  members?: Map<string, RawJson>;
  items?: RawJson[];
}

/** Scans JSON text keeping every value's exact text (numbers are never re-printed). */
export function scanJson(text: string): RawJson {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \n\r\t".includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): RawJson => {
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const members = new Map<string, RawJson>();
      ws();
      if (text[i] === "}") i++;
      else
        for (;;) {
          ws();
          const key = str();
          ws();
          i++; // ':'
          members.set(key, value());
          ws();
          if (text[i++] === "}") break;
        }
      return { text: text.slice(start, i), members };
    }
    if (c === "[") {
      i++;
      const items: RawJson[] = [];
      ws();
      if (text[i] === "]") i++;
      else
        for (;;) {
          items.push(value());
          ws();
          if (text[i++] === "]") break;
        }
      return { text: text.slice(start, i), items };
    }
    if (c === '"') {
      str();
      return { text: text.slice(start, i) };
    }
    while (i < text.length && !",]} \n\r\t".includes(text[i]!)) i++;
    return { text: text.slice(start, i) };
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}

export interface Vector {
  id: string;
  area: string;
  description: string;
  /** Compact raw JSON text of `input` (or "null"). */
  inputText: string;
  input: unknown;
  expectText: string;
  /** Compact native result text, or undefined when native-results.json lacks the entry. */
  native: string | undefined;
}

/** Every vector under tests/vectors/<area>/*.json (discovered), with its native result. */
export function loadVectors(): Vector[] {
  const results = scanJson(readFileSync(join(vectorsDir, "native-results.json"), "utf8"));
  const out: Vector[] = [];
  const areas = readdirSync(vectorsDir)
    .filter((a) => statSync(join(vectorsDir, a)).isDirectory())
    .sort();
  for (const area of areas) {
    const files = readdirSync(join(vectorsDir, area))
      .filter((f) => f.endsWith(".json"))
      .sort();
    for (const file of files) {
      const raw = scanJson(readFileSync(join(vectorsDir, area, file), "utf8"));
      const stem = file.slice(0, -".json".length);
      (raw.items ?? []).forEach((v, i) => {
        const id = `${area}/${stem}#${i}`;
        const inputText = compact(v.members?.get("input")?.text ?? "null");
        const native = results.members?.get(id);
        out.push({
          id,
          area,
          description: String(JSON.parse(v.members?.get("description")?.text ?? '""')),
          inputText,
          input: JSON.parse(inputText),
          expectText: compact(v.members?.get("expect")?.text ?? "null"),
          native: native === undefined ? undefined : compact(native.text),
        });
      });
    }
  }
  return out;
}

/** Number of entries in native-results.json. */
export function nativeResultCount(): number {
  return scanJson(readFileSync(join(vectorsDir, "native-results.json"), "utf8")).members?.size ?? 0;
}

/** JSON with object keys sorted (the native results file was written from sorted `Value`s). */
export function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return value;
  });
}

/** Whether a vector's input survives a JS round trip unchanged (e.g. `150.0` does not). */
export function jsExact(v: Vector): boolean {
  return JSON.stringify(v.input) === v.inputText;
}

/** The output of the public API for a vector, shaped like core's `run_vector`; undefined when
 * the area has no one-call export. `api` is the package's main module, `understanding` its
 * understand module. */
export function viaApi(
  api: typeof import("@chartgate/chart-commands"),
  understanding: typeof import("@chartgate/chart-commands/understand"),
  v: Vector,
): unknown {
  const input = v.input as Record<string, unknown> | null;
  switch (v.area) {
    case "normalize":
      return api.normalizeChartCommandPayload(
        input?.["payload"] ?? null,
        input?.["responseText"] as string | undefined,
        input?.["flags"] as Parameters<typeof api.normalizeChartCommandPayload>[2],
      );
    case "understand":
      return understanding.understand(v.input as string);
    case "parse": {
      const p = api.parseLegacyCommand(v.input as string);
      return { legacy: p.commands.map((c) => c.legacy), commands: p.commands, issues: p.issues };
    }
    case "tool_stream": {
      const reader = new api.ToolCallReader();
      const pushed = (v.input as { fragments: string[] }).fragments.map((f) => reader.push(f));
      return { pushed, finished: reader.finish() };
    }
    default:
      return undefined;
  }
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
};

/** Serves `root` on 127.0.0.1 (random port). */
export async function serveStatic(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const path = normalize(join(base, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!(path === base || path.startsWith(base + sep))) {
      res.writeHead(403).end();
      return;
    }
    let file = path;
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      statSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** The Chromium the tests drive: Debian's, never a downloaded one (`bench/browser.mjs`, shared with the bench runners). */
export async function launchChromium(): Promise<Browser> {
  const { launch } = (await import(join(bindingsDir, "bench", "browser.mjs"))) as { launch: () => Promise<Browser> };
  return launch();
}
