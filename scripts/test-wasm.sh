#!/usr/bin/env bash
# Installs the wasm toolchain when missing (each step guarded by a version check, so re-runs skip
# it), then tests the wasm crate and the npm package:
#   1. wasm-bindgen-test in node and in headless Chromium (vectors byte-identical to native, bad input,
#      exotic throws and leaks, the tool-call reader on every split of its arguments); the
#      chartgate-wasm test binaries link the understand module's crate too;
#   2. clippy for wasm32 (the eager module, the understand module, the bridge they share);
#   3. wasm-pack builds of both modules (shipped pkg/ and pkg-understand/, test-only *-conformance/,
#      bench-only pkg-probes/), tsc, .d.ts snapshot drift, the gzip budgets (each module failing
#      past 90% of its budget; the budgets are interim, above issue 12's 70/60 KB targets);
#   4. `npm pack`, installed into test/node_modules, then node --test: the package imported by name
#      in node, the vectors again, types, a static page and Vite and webpack builds in headless
#      Chromium, the stream client and command buffer (`./stream`) against the tests/sse/
#      transcripts and the client's fixtures replayed through a fault proxy (stream.test.ts,
#      buffer.test.ts), the stream client against a real `chartgate serve` + `chartgate-mock-openai`
#      through the fault proxy (stream-server.test.ts), 1,000 streams in headless Chromium from the
#      demo page served by a real `chartgate serve` through a proxy cutting at random points
#      (stream-browser.test.ts, prints the exactly-once figure), the demo page (frontend-bindings/demo,
#      built by Vite) in headless Chromium (demo.test.ts, writes docs/demo.png), and smoke runs of
#      the bench runners.
# Exits non-zero on any failure.
#
#   bash scripts/test-wasm.sh                 install what is missing, then test
#   bash scripts/test-wasm.sh --install-only  install what is missing, then stop
#
# Never downloads a browser: Chromium and chromedriver come from Debian (apt). wasm-opt is binaryen
# 132 from npm in .tools/ (never Debian's binaryen 108, whose passes break wasm-bindgen 0.2.130 output).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$ROOT/.tools"
BINDINGS="$ROOT/frontend-bindings"
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132.0.0
START=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- toolchain ---------------------------------------------------------------------------------

export PATH="$HOME/.cargo/bin:$PATH"

step "rust target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "present"
else
  rustup target add wasm32-unknown-unknown
fi

step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (wasm-bindgen, wasm-bindgen-test-runner)"
if have wasm-bindgen && have wasm-bindgen-test-runner &&
  [ "$(wasm-bindgen --version)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] &&
  [ "$(wasm-bindgen-test-runner --version)" = "wasm-bindgen-test-runner $WASM_BINDGEN_VERSION" ]; then
  echo "present"
else
  # Without --locked: its lockfile pins a webpki-roots version this registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

step "wasm-pack $WASM_PACK_VERSION"
if have wasm-pack && [ "$(wasm-pack --version)" = "wasm-pack $WASM_PACK_VERSION" ]; then
  echo "present"
else
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi

step "chromium + chromedriver (Debian)"
if have chromium && have chromedriver; then
  echo "present"
else
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists do not know the packages yet.
  if ! as_root apt-get install -y --no-install-recommends chromium chromium-driver; then
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends chromium chromium-driver
  fi
fi
CHROMIUM_MAJOR="$(chromium --version 2>/dev/null | grep -oE '[0-9]+\.' | head -1 | tr -d .)"
DRIVER_MAJOR="$(chromedriver --version | grep -oE '[0-9]+\.' | head -1 | tr -d .)"
echo "chromium $CHROMIUM_MAJOR, chromedriver $DRIVER_MAJOR"
if [ "$CHROMIUM_MAJOR" != "$DRIVER_MAJOR" ]; then
  echo "chromium and chromedriver major versions differ; install matching Debian packages" >&2
  exit 1
fi

step "wasm-opt (binaryen $BINARYEN_VERSION from npm, in .tools/)"
WASM_OPT="$TOOLS/binaryen/node_modules/.bin/wasm-opt"
if [ -x "$WASM_OPT" ] && "$WASM_OPT" --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  echo "present"
else
  mkdir -p "$TOOLS/binaryen"
  npm install --prefix "$TOOLS/binaryen" --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
fi
# wasm-pack uses the first wasm-opt on PATH.
export PATH="$TOOLS/binaryen/node_modules/.bin:$PATH"
"$WASM_OPT" --version

step "npm ci (frontend-bindings)"
# npm's own record of the installed tree (node_modules/.package-lock.json) newer than the
# lockfile and the manifest means node_modules is what npm ci would install.
if [ "$BINDINGS/node_modules/.package-lock.json" -nt "$BINDINGS/package-lock.json" ] &&
  [ "$BINDINGS/node_modules/.package-lock.json" -nt "$BINDINGS/package.json" ]; then
  echo "present"
else
  (cd "$BINDINGS" && npm ci --no-audit --no-fund)
fi

if [ "${1:-}" = "--install-only" ]; then
  echo "tools installed in $((SECONDS - START)) s"
  exit 0
fi

# --- Rust: wasm-bindgen-test in node and Chromium ------------------------------------------------

export CHROMEDRIVER="$(command -v chromedriver)"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/wasm/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=180
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT=60
SUMMARY=()

run_cargo_tests() { # $1 = node | chromium
  local label=$1 log
  local mode=(-u WASM_BINDGEN_USE_BROWSER)
  [ "$label" = chromium ] && mode=(WASM_BINDGEN_USE_BROWSER=1)
  log="$(mktemp)"
  if ! env "${mode[@]}" cargo test -p chartgate-wasm --target wasm32-unknown-unknown 2>&1 | tee "$log"; then
    echo "wasm tests ($label) failed" >&2
    rm -f "$log"
    exit 1
  fi
  local passed
  passed="$(grep -E '^test result: ok' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')"
  rm -f "$log"
  SUMMARY+=("wasm-bindgen-test ($label): $passed passed")
}

step "wasm-bindgen-test in node"
run_cargo_tests node

step "wasm-bindgen-test in headless Chromium"
run_cargo_tests chromium

step "clippy (wasm32)"
cargo clippy -p chartgate-wasm -p chartgate-wasm-bridge -p chartgate-wasm-understand --target wasm32-unknown-unknown --all-targets --all-features -- -D warnings
SUMMARY+=("clippy wasm32: clean")

# --- npm package -----------------------------------------------------------------------------

step "wasm-pack build: pkg/ + pkg-understand/ (shipped), pkg-conformance/ + pkg-understand-conformance/ and pkg-probes/ (test- and bench-only exports)"
(cd "$BINDINGS" && node scripts/build-wasm.mjs && node scripts/build-wasm.mjs --conformance && node scripts/build-wasm.mjs --probes)

step "tsc (dist/) and .d.ts snapshot"
(cd "$BINDINGS" && npm run --silent build:ts && node scripts/check-dts.mjs)
# The demo page's TypeScript (Vite strips types without checking them).
(cd "$BINDINGS" && npx tsc -p demo/tsconfig.json)

# The download budgets (gzip -9 of what a browser loads for each module: its wasm, its JS glue,
# wasm-bindgen's inline snippet and the typed layer's entry files). Each module must stay at least
# 10% under its budget, so one ordinary change does not break CI: past 90% the test fails, and the
# change that crossed it says what it is worth (docs/wasm.md, "Size").
# Issue 12's targets are 70,000 B (eager) and 60,000 B (understand). The split alone does not reach
# them (2026-12-08: eager 85,325 B, understand 67,023 B; both modules carry their own copy of the
# shared code: serialization, the JSON reader and writer, number printing, legacy parsing), so
# these budgets are interim ones, today's figures plus 10%, until the size work brings the modules
# under the targets; then set EAGER_BUDGET=70000 and UNDERSTAND_BUDGET=60000.
# Raised once more on merging issue 12's core changes (Command checked by construction, unknown
# flag keys reported): they added 1,112 B to the eager module (86,437 B), over 90% of 96,000.
# Sizes are deterministic to within ~100 B between builds, so this is a check, not a timing.
EAGER_BUDGET=97000
UNDERSTAND_BUDGET=77000
gz() { cat "$@" | gzip -9 | wc -c; }
check_size() { # $1 label, $2 budget, $3 pkg dir, $4 out-name, rest: dist files
  local label=$1 budget=$2 dir=$3 name=$4
  shift 4
  local raw wasm glue rest total limit
  raw=$(stat -c %s "$BINDINGS/$dir/${name}_bg.wasm")
  wasm=$(gz "$BINDINGS/$dir/${name}_bg.wasm")
  glue=$(gz "$BINDINGS/$dir/$name.js")
  rest=$(( $(gz "$BINDINGS"/"$dir"/snippets/*/inline0.js) + $(gz "$@") ))
  total=$((wasm + glue + rest))
  limit=$((budget * 9 / 10))
  SUMMARY+=("size ($label): wasm ${raw} B raw, ${wasm} B gzip; glue ${glue} B; snippet + dist ${rest} B; total ${total} B gzip of ${budget} B (limit ${limit} B, 90%)")
  if [ "$total" -gt "$limit" ]; then
    echo "the $label module is ${total} B gzip -9, over 90% of its ${budget} B budget (${limit} B; docs/wasm.md)" >&2
    exit 1
  fi
}
D="$BINDINGS/dist"
check_size eager "$EAGER_BUDGET" pkg chartgate_wasm "$D/index.js" "$D/api.js" "$D/state.js" "$D/errors.js"
check_size understand "$UNDERSTAND_BUDGET" pkg-understand chartgate_understand "$D/understand.js" "$D/understand-api.js" "$D/errors.js"

step "npm pack → test/node_modules/@chartgate/chart-commands (installed as a user gets it)"
PACK_DIR="$(mktemp -d)"
trap 'rm -rf "$PACK_DIR"' EXIT
(cd "$BINDINGS" && npm pack --pack-destination "$PACK_DIR" --silent >/dev/null)
INSTALLED="$BINDINGS/test/node_modules/@chartgate/chart-commands"
rm -rf "$INSTALLED" && mkdir -p "$INSTALLED"
tar -xzf "$PACK_DIR"/*.tgz -C "$INSTALLED" --strip-components=1

step "chartgate and chartgate-mock-openai (debug), for the stream client's tests against the real server"
cargo build -p chartgate-server -p chartgate-mock-openai --bin chartgate --bin chartgate-mock-openai
export CHARTGATE_BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"

step "TypeScript tests (node --test): node, types, package, stream client and buffer (replayed and against the real server), Chromium page, 1,000 streams in Chromium, demo page, Vite, webpack"
(cd "$BINDINGS/test" && rm -rf .out && npx tsc -p tsconfig.json)
NODE_LOG="$(mktemp)"
if ! (cd "$BINDINGS/test" && node --test --test-reporter=spec --test-concurrency=1 .out/ 2>&1 | tee "$NODE_LOG"); then
  rm -f "$NODE_LOG"
  echo "TypeScript tests failed" >&2
  exit 1
fi
SUMMARY+=("node --test: $(grep -E '^ℹ (tests|pass|fail) ' "$NODE_LOG" | tr '\n' ' ' | sed 's/ℹ //g')")
rm -f "$NODE_LOG"

printf '\n==> summary (%s s)\n' "$((SECONDS - START))"
printf '  %s\n' "${SUMMARY[@]}"
