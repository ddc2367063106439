#!/usr/bin/env bash
# chartgate load harness: the server in front of the mock (0 ms and 60 ms upstream delay), the
# mock directly, a bare proxy in front of the same mock (the floor any gateway pays here:
# server/examples/floor_proxy.rs), and the offline fast path, in one run, on loopback only, each
# scenario bounded by DURATION. Prints RPS, p50/p99, the added p99 (server minus direct, and
# server minus floor) and the server's RSS.
#
#   tests/load/run.sh                      # build release binaries, 10 s per scenario
#   DURATION=5s SKIP_BUILD=1 tests/load/run.sh
#
# Environment: DURATION (wrk -d, default 10s), SKIP_BUILD=1, BIN_DIR (default target/release),
# LOG (server log filter, default info), FAST_CONNS (default 64), FAST_THREADS (default 2), RESULTS (a file to append the
# markdown table to), CONNS0 / PAUSE0 (connections and per-connection pause in ms of the paced
# 0 ms scenarios, default 10 / 5), SERVER_ENV (extra VAR=VALUE words for the two model servers,
# e.g. SERVER_ENV=TOKIO_WORKER_THREADS=1). Needs wrk (Debian: apt-get install -y wrk) and curl.
#
# Old against new in one run: OLD_BIN_DIR=DIR (a directory holding an older `chartgate`) or
# OLD_REV=COMMIT (built once, into target/old/COMMIT/, from a detached git worktree of that
# commit at target/old/COMMIT/src; reused when the binary is there) adds two servers running the
# old binary in front of the same two mocks and the scenarios server0old / server60old right
# after server0 / server60, so the gateway CPU µs per model request of both binaries comes from
# the same window. Example: OLD_REV=62ce7ad tests/load/run.sh (the commit before streaming).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/load"
DURATION=${DURATION:-10s}
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
LOG=${LOG:-info}
FAST_CONNS=${FAST_CONNS:-64}
FAST_THREADS=${FAST_THREADS:-2}
CONNS0=${CONNS0:-10}
PAUSE0=${PAUSE0:-5}
read -r -a EXTRA_SERVER_ENV <<<"${SERVER_ENV:-}"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required (Debian: apt-get install -y $tool)" >&2; exit 1; }
done
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build --release -p chartgate-server -p chartgate-mock-openai \
    && cargo build --release -p chartgate-server --example floor_proxy)
fi
if [[ -n "${OLD_REV:-}" && -z "${OLD_BIN_DIR:-}" ]]; then
  OLD_DIR="$ROOT/target/old/$OLD_REV"
  OLD_BIN_DIR="$OLD_DIR/target/release"
  if [[ ! -x "$OLD_BIN_DIR/chartgate" ]]; then
    [[ -d "$OLD_DIR/src" ]] || git -C "$ROOT" worktree add --detach "$OLD_DIR/src" "$OLD_REV"
    (cd "$OLD_DIR/src" && CARGO_TARGET_DIR="$OLD_DIR/target" cargo build --release -p chartgate-server --bin chartgate)
  fi
fi
OLD_BIN_DIR=${OLD_BIN_DIR:-}
[[ -z $OLD_BIN_DIR || -x "$OLD_BIN_DIR/chartgate" ]] || { echo "run.sh: no chartgate in OLD_BIN_DIR=$OLD_BIN_DIR" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for_line FILE PATTERN: prints the first match of PATTERN in FILE, waiting up to 30 s.
wait_for_line() {
  for _ in $(seq 300); do
    if grep -Eo "$2" "$1" 2>/dev/null | head -n1 | grep .; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: timed out waiting for $2 in $1" >&2
  cat "$1" >&2 || true
  return 1
}

# start_mock NAME LATENCY_MS: starts a mock on a free port (in this shell, so cleanup sees its
# pid); then `url NAME` prints its base URL.
start_mock() {
  "$BIN_DIR/chartgate-mock-openai" --bind 127.0.0.1:0 --latency-ms "$2" >"$WORK/$1.out" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/$1.pid"
}

# start_server NAME [VAR=VALUE...]: starts `chartgate serve` in its own directory with a clean
# environment plus the given variables (SERVER_BIN, when set, is the binary to run).
start_server() {
  local name=$1; shift
  mkdir -p "$WORK/$name"
  # Every load client is one anonymous address: a limit so high that each request still passes
  # the rate-limit check (its cost is part of the figures) but is never refused. Older binaries
  # (OLD_REV) have no [rate_limits].
  local limits=()
  [ -n "${SERVER_BIN:-}" ] || limits=(CHARTGATE_RATE_LIMITS__ANONYMOUS__PER_MINUTE=6000000 CHARTGATE_RATE_LIMITS__ANONYMOUS__BURST=100000)
  (cd "$WORK/$name" && exec env -i PATH="$PATH" CHARTGATE_LOG="$LOG" "$@" "${limits[@]}" \
    "${SERVER_BIN:-$BIN_DIR/chartgate}" serve --bind 127.0.0.1:0 >"$WORK/$name.out" 2>"$WORK/$name.err") &
  PIDS+=($!)
  echo $! >"$WORK/$name.pid"
}

url() { wait_for_line "$WORK/$1.out" 'http://127\.0\.0\.1:[0-9]+(/v1)?'; }

# load NAME URL BODY_FILE THREADS CONNS DELAY_MS: runs wrk, prints the RESULT fields.
load() {
  local out="$WORK/$1.wrk"
  BODY_FILE="$3" DELAY_MS="$6" wrk -t"$4" -c"$5" -d"$DURATION" --latency -s "$HERE/post.lua" "$2" >"$out" 2>&1 || {
    cat "$out" >&2; return 1; }
  grep '^RESULT' "$out" | sed 's/^RESULT //'
}

field() { sed -E "s/.*$2=([0-9.]+).*/\1/" <<<"$1"; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
# cpu_us PID TICKS_BEFORE REQUESTS: CPU microseconds per request spent by PID since TICKS_BEFORE.
cpu_us() { awk -v t="$(( $(ticks "$1") - $2 ))" -v n="$3" -v hz="$TCK" 'BEGIN {printf "%.0f", t * 1e6 / hz / (n > 0 ? n : 1)}'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

echo "== starting mocks and servers (binaries in $BIN_DIR)"
start_mock mock0 0
start_mock mock60 60
MOCK0=$(url mock0)
MOCK60=$(url mock60)
MODEL_ENV=(CHARTGATE_PROVIDER=openai CHARTGATE_ROUTING__FAST_PATH=false CHARTGATE_ROUTING__LOAD__MAX_IN_FLIGHT=100000 "${EXTRA_SERVER_ENV[@]}")
start_server srv0 "${MODEL_ENV[@]}" CHARTGATE_OPENAI_BASE_URL="$MOCK0"
start_server srv60 "${MODEL_ENV[@]}" CHARTGATE_OPENAI_BASE_URL="$MOCK60"
start_server offline
SRV0=$(url srv0)
SRV60=$(url srv60)
OFFLINE=$(url offline)
echo "mock0=$MOCK0 mock60=$MOCK60 srv0=$SRV0 srv60=$SRV60 offline=$OFFLINE"
if [[ -n $OLD_BIN_DIR ]]; then
  SERVER_BIN="$OLD_BIN_DIR/chartgate" start_server srv0old "${MODEL_ENV[@]}" CHARTGATE_OPENAI_BASE_URL="$MOCK0"
  SERVER_BIN="$OLD_BIN_DIR/chartgate" start_server srv60old "${MODEL_ENV[@]}" CHARTGATE_OPENAI_BASE_URL="$MOCK60"
  SRV0OLD=$(url srv0old)
  SRV60OLD=$(url srv60old)
  echo "old binary $OLD_BIN_DIR/chartgate: srv0old=$SRV0OLD srv60old=$SRV60OLD"
fi

# Bodies: the ask, and for the direct runs exactly the request the server sends upstream.
echo '{"query":"what moved the semiconductor sector this week?","user_id":"load-user"}' >"$WORK/ask.json"
echo '{"query":"show me TSLA on the daily with the 50 day moving average","user_id":"load-user"}' >"$WORK/fast.json"
curl -fsS -X POST "$SRV0/ask" -H 'content-type: application/json' --data-binary @"$WORK/ask.json" >"$WORK/probe.json"
grep -q '"model":"gpt-' "$WORK/probe.json" || { echo "run.sh: server did not answer through the mock:" >&2; cat "$WORK/probe.json" >&2; exit 1; }
curl -fsS "${MOCK0%/v1}/mock/last_request" >"$WORK/upstream.json"
if [[ -n $OLD_BIN_DIR ]]; then
  for u in "$SRV0OLD" "$SRV60OLD"; do
    curl -fsS -X POST "$u/ask" -H 'content-type: application/json' --data-binary @"$WORK/ask.json" >"$WORK/probe-old.json"
    grep -q '"model":"gpt-' "$WORK/probe-old.json" || { echo "run.sh: old server did not answer through the mock:" >&2; cat "$WORK/probe-old.json" >&2; exit 1; }
  done
fi
# The floor: a bare proxy (server/examples/floor_proxy.rs) that forwards that same upstream body
# to the same mock and returns its bytes, with no gateway work at all.
"$BIN_DIR/examples/floor_proxy" 127.0.0.1:0 "$MOCK0/chat/completions" "$WORK/upstream.json" >"$WORK/floor.out" 2>&1 &
PIDS+=($!)
echo $! >"$WORK/floor.pid"
FLOOR=$(url floor)
curl -fsS -X POST "$OFFLINE/ask" -H 'content-type: application/json' --data-binary @"$WORK/fast.json" >"$WORK/probe-fast.json"
grep -q '"model":"offline"' "$WORK/probe-fast.json" || { echo "run.sh: offline server answered unexpectedly:" >&2; cat "$WORK/probe-fast.json" >&2; exit 1; }
echo "upstream request body: $(wc -c <"$WORK/upstream.json") bytes; ask body: $(wc -c <"$WORK/ask.json") bytes"

# The subshells exec into env and then chartgate, so the recorded pids are the servers'.
OFF_PID=$(cat "$WORK/offline.pid")
SRV0_PID=$(cat "$WORK/srv0.pid")
SRV60_PID=$(cat "$WORK/srv60.pid")
M0_PID=$(cat "$WORK/mock0.pid")
M60_PID=$(cat "$WORK/mock60.pid")
FLOOR_PID=$(cat "$WORK/floor.pid")
KEYS=(direct0 server0 floor0 direct60 server60 fast)
if [[ -n $OLD_BIN_DIR ]]; then
  SRV0OLD_PID=$(cat "$WORK/srv0old.pid")
  SRV60OLD_PID=$(cat "$WORK/srv60old.pid")
  KEYS=(direct0 server0 server0old floor0 direct60 server60 server60old fast)
fi

# scenario KEY LABEL SERVER_PID MOCK_PID wrk-args...: runs one scenario, records its RESULT
# fields plus the CPU µs per request of the server (gw_us) and of the mock (mock_us).
declare -A R
scenario() {
  local key=$1 label=$2 spid=$3 mpid=$4; shift 4
  local s0 m0 r n
  s0=$(ticks "$spid"); m0=$(ticks "$mpid")
  r=$(load "$key" "$@")
  n=$(field "$r" requests)
  R[$key]="$r gw_us=$(cpu_us "$spid" "$s0" "$n") mock_us=$(cpu_us "$mpid" "$m0" "$n")"
  printf '%-26s %s\n' "$label:" "${R[$key]}"
}

# ~2,000 RPS: 10 connections each pausing 5 ms between requests (0 ms upstream),
# 120 connections back to back (60 ms upstream). Same pacing for direct and through the server.
echo "== scenarios, $DURATION each; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
scenario direct0 "mock direct, 0 ms" "$SRV0_PID" "$M0_PID" "$MOCK0/chat/completions" "$WORK/upstream.json" 1 "$CONNS0" "$PAUSE0"
scenario server0 "server -> mock, 0 ms" "$SRV0_PID" "$M0_PID" "$SRV0/ask" "$WORK/ask.json" 1 "$CONNS0" "$PAUSE0"
if [[ -n $OLD_BIN_DIR ]]; then
  scenario server0old "old server -> mock, 0 ms" "$SRV0OLD_PID" "$M0_PID" "$SRV0OLD/ask" "$WORK/ask.json" 1 "$CONNS0" "$PAUSE0"
fi
scenario floor0 "floor proxy -> mock, 0 ms" "$FLOOR_PID" "$M0_PID" "$FLOOR/ask" "$WORK/ask.json" 1 "$CONNS0" "$PAUSE0"
scenario direct60 "mock direct, 60 ms" "$SRV60_PID" "$M60_PID" "$MOCK60/chat/completions" "$WORK/upstream.json" 1 120 0
scenario server60 "server -> mock, 60 ms" "$SRV60_PID" "$M60_PID" "$SRV60/ask" "$WORK/ask.json" 1 120 0
if [[ -n $OLD_BIN_DIR ]]; then
  scenario server60old "old server -> mock, 60 ms" "$SRV60OLD_PID" "$M60_PID" "$SRV60OLD/ask" "$WORK/ask.json" 1 120 0
fi
scenario fast "offline fast path (max)" "$OFF_PID" "$M0_PID" "$OFFLINE/ask" "$WORK/fast.json" "$FAST_THREADS" "$FAST_CONNS" 0
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

added() { awk -v a="$(field "$1" p99_ms)" -v b="$(field "$2" p99_ms)" 'BEGIN {printf "%.3f", a - b}'; }
ADD0=$(added "${R[server0]}" "${R[direct0]}")
ADD60=$(added "${R[server60]}" "${R[direct60]}")
ADDFLOOR=$(added "${R[floor0]}" "${R[direct0]}")
OVERFLOOR=$(added "${R[server0]}" "${R[floor0]}")

table() {
  echo "| scenario | RPS | p50 ms | p99 ms | errors | non-2xx | gateway CPU µs/req |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for k in "${KEYS[@]}"; do
    local r=${R[$k]} gw="-"
    [[ $k == direct* ]] || gw=$(field "$r" gw_us)
    echo "| $k | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" errors) | $(field "$r" non2xx) | $gw |"
  done
  echo
  echo "added p99 (server - direct): 0 ms upstream ${ADD0} ms; 60 ms upstream ${ADD60} ms"
  echo "floor: a bare proxy adds ${ADDFLOOR} ms p99; the server adds ${OVERFLOOR} ms p99 over that floor"
  echo "offline server RSS after the fast-path run: $(rss_kb "$OFF_PID") kB (peak $(hwm_kb "$OFF_PID") kB)"
  echo "model servers peak RSS: 0 ms $(hwm_kb "$SRV0_PID") kB, 60 ms $(hwm_kb "$SRV60_PID") kB"
  if [[ -n $OLD_BIN_DIR ]]; then
    echo "gateway CPU µs per model request, new / old ($OLD_BIN_DIR): 0 ms $(field "${R[server0]}" gw_us) / $(field "${R[server0old]}" gw_us), 60 ms $(field "${R[server60]}" gw_us) / $(field "${R[server60old]}" gw_us)"
    echo "added p99 of the old binary (server - direct): 0 ms $(added "${R[server0old]}" "${R[direct0]}") ms; 60 ms $(added "${R[server60old]}" "${R[direct60]}") ms"
  fi
}
echo "== summary"
table | tee -a "${RESULTS:-/dev/null}"
