/**
 * Real processes for the stream client's tests: `chartgate serve` and `chartgate-mock-openai`,
 * the binaries cargo built (scripts/test-wasm.sh builds them first), each started on a free
 * loopback port in its own temporary directory and stopped by its PID.
 *
 * The binaries are looked up in `$CHARTGATE_BIN_DIR`, else `$CARGO_TARGET_DIR/debug`, else the
 * workspace's `target/debug`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoDir } from "./helpers.js";

export function binDir(): string {
  return process.env["CHARTGATE_BIN_DIR"] ?? join(process.env["CARGO_TARGET_DIR"] ?? join(repoDir, "target"), "debug");
}

function binary(name: string): string {
  const path = join(binDir(), name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build it with \`cargo build -p chartgate-server -p chartgate-mock-openai --bin chartgate --bin chartgate-mock-openai\` (or set CHARTGATE_BIN_DIR)`);
  }
  return path;
}

export interface Process {
  /** The base URL it printed (`http://127.0.0.1:PORT`, the mock's with `/v1`). */
  url: string;
  pid: number;
  /** Its stderr so far (for failure messages). */
  stderr: () => string;
  /** SIGTERM to its PID, then waits for it to exit (SIGKILL after 10 s). */
  stop: () => Promise<void>;
}

async function start(bin: string, args: string[], env: Record<string, string>, pattern: RegExp): Promise<Process> {
  const dir = mkdtempSync(join(tmpdir(), "chartgate-proc-"));
  const child: ChildProcess = spawn(bin, args, {
    cwd: dir,
    // A clean environment: nothing of the caller's CHARTGATE_* or OPENAI_* reaches the server.
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", CHARTGATE_LOG: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${bin} printed no address in 30 s: ${out}${err}`)), 30_000);
    child.stdout!.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[0]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${bin} exited (${code}) before listening: ${out}${err}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, "SIGTERM");
        const killer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `chartgate serve --bind 127.0.0.1:0` with `env` (`CHARTGATE_…` settings, docs/config.md), anonymous rate limit and prompt cache off. */
export function startChartgate(env: Record<string, string> = {}): Promise<Process> {
  // Every test client is one anonymous loopback address: the anonymous rate limit is off unless a
  // test sets it (the limits themselves are tested in server/tests/rate_limits.rs). The prompt cache
  // is off too: these tests ask the same question again and compare each answer with a fresh
  // reference (a cache hit replays it with `cached: true` and cost 0; server/tests/cache.rs).
  const limits = { CHARTGATE_RATE_LIMITS__ANONYMOUS__PER_MINUTE: "0", CHARTGATE_CACHE__ENABLED: "false" };
  return start(binary("chartgate"), ["serve", "--bind", "127.0.0.1:0"], { ...limits, ...env }, /http:\/\/127\.0\.0\.1:\d+/);
}

/** `chartgate-mock-openai` on a free port; `url` ends with `/v1` (what `CHARTGATE_OPENAI_BASE_URL` takes). */
export function startMock(args: string[] = []): Promise<Process> {
  return start(binary("chartgate-mock-openai"), ["--bind", "127.0.0.1:0", ...args], {}, /http:\/\/127\.0\.0\.1:\d+\/v1/);
}

/** Sets the mock's behaviour for every later request (`PUT /mock/config`, mock-openai's `Behavior` fields). */
export async function configureMock(mock: Process, behavior: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${mock.url.replace(/\/v1$/, "")}/mock/config`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ default: behavior, models: {} }),
  });
  if (!res.ok) throw new Error(`PUT /mock/config: ${res.status} ${await res.text()}`);
}
