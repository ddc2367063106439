#!/usr/bin/env bash
# chartgate streaming load harness (docs/TELEMETRY_BASELINE.md, "Streaming"): on loopback only,
# processes on free ports, every run bounded by its stream count and a per-stream timeout.
#
#   1. The mock streaming directly, the floor proxy in front of it (server/examples/floor_proxy.rs,
#      forwarding the server's own upstream body and the mock's SSE bytes unchanged) and the
#      server in front of it (fast path off, so every ask streams from the model), ROUNDS times:
#      time to the first content-bearing event and the gaps between them.
#   2. A mock whose first chunk comes after CMD_LATENCY_MS and a server with the fast path on,
#      asked a chart-control question that core understands and the model still answers:
#      time to the first chart_command event.
#   3. OPEN_STREAMS streams at once through a server (mock chunk every OPEN_CHUNK_MS): all
#      delivered, and the server's peak RSS.
# Prints a markdown table (appended to RESULTS when set) and the added TTFB / gap over the floor.
#
#   tests/load/stream.sh                                 # builds release binaries first
#   SKIP_BUILD=1 ROUNDS=3 RESULTS=/tmp/stream.md tests/load/stream.sh
#   SKIP_BUILD=1 STREAMS=40 CMD_STREAMS=20 OPEN_STREAMS=50 tests/load/stream.sh   # a quick look
#
# Environment (defaults in brackets): SKIP_BUILD=1, BIN_DIR [target/release], LOG [info],
# RESULTS, SERVER_ENV (extra VAR=VALUE words for every server), ROUNDS [1] (direct/floor/server
# rounds), STREAMS [400] and CONC [20] (streams per target and at once), CHUNK_MS [10] (mock
# pause between chunks), TEXT (the mock's answer, ~20 words), CMD_STREAMS [100], CMD_CONC [10],
# CMD_LATENCY_MS [500] (the mock's delay before its first chunk), CMD_QUERY ["what's TSLA
# trading at?"], OPEN_STREAMS [1000], OPEN_CHUNK_MS [100]. Needs curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/target/release}
LOG=${LOG:-info}
ROUNDS=${ROUNDS:-1}
STREAMS=${STREAMS:-400}
CONC=${CONC:-20}
CHUNK_MS=${CHUNK_MS:-10}
TEXT=${TEXT:-"TSLA is trading near its 50 day moving average while volume stays light, so the next move likely follows the broader market today."}
CMD_STREAMS=${CMD_STREAMS:-100}
CMD_CONC=${CMD_CONC:-10}
CMD_LATENCY_MS=${CMD_LATENCY_MS:-500}
CMD_QUERY=${CMD_QUERY:-"what's TSLA trading at?"}
OPEN_STREAMS=${OPEN_STREAMS:-1000}
OPEN_CHUNK_MS=${OPEN_CHUNK_MS:-100}
read -r -a EXTRA_SERVER_ENV <<<"${SERVER_ENV:-}"

command -v curl >/dev/null || { echo "stream.sh: curl is required" >&2; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build --release -p chartgate-server -p chartgate-mock-openai \
    && cargo build --release -p chartgate-server --example floor_proxy --example sse_load)
fi
# 1,000 streams through the server hold ~3 sockets each across the three processes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

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
  echo "stream.sh: timed out waiting for $2 in $1" >&2
  cat "$1" >&2 || true
  return 1
}

# start_mock NAME MOCK-ARGS...: a mock on a free port, recorded for cleanup.
start_mock() {
  local name=$1; shift
  "$BIN_DIR/chartgate-mock-openai" --bind 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/$name.pid"
}

# start_server NAME [VAR=VALUE...]: `chartgate serve` in its own directory, clean environment.
start_server() {
  local name=$1; shift
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec env -i PATH="$PATH" CHARTGATE_LOG="$LOG" "$@" "${EXTRA_SERVER_ENV[@]}" \
    "$BIN_DIR/chartgate" serve --bind 127.0.0.1:0 >"$WORK/$name.out" 2>"$WORK/$name.err") &
  PIDS+=($!)
  echo $! >"$WORK/$name.pid"
}

url() { wait_for_line "$WORK/$1.out" 'http://127\.0\.0\.1:[0-9]+(/v1)?'; }
pid() { cat "$WORK/$1.pid"; }
field() { local v; v=$(sed -nE "s/.* $2=([^ ]+).*/\1/p" <<<" $1"); echo "${v:--}"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# load NAME URL BODY STREAMS CONC [CPU_PID]: runs the client, prints its RESULT fields plus the
# CPU µs per stream of CPU_PID (the gateway) during the run.
load() {
  local name=$1 u=$2 body=$3 n=$4 c=$5 cpid=${6:-} t0=0 r
  [[ -n $cpid ]] && t0=$(ticks "$cpid")
  "$BIN_DIR/examples/sse_load" --url "$u" --body "$body" --streams "$n" --concurrency "$c" \
    --timeout-ms 60000 >"$WORK/$name.load" 2>&1 || { cat "$WORK/$name.load" >&2; return 1; }
  r=$(grep '^RESULT' "$WORK/$name.load" | sed 's/^RESULT //')
  if [[ -n $cpid ]]; then
    r="$r cpu_us=$(awk -v t="$(( $(ticks "$cpid") - t0 ))" -v n="$n" -v hz="$TCK" 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')"
  else
    r="$r cpu_us=-"
  fi
  echo "$r"
}

echo "== starting mocks and servers (binaries in $BIN_DIR)"
# One anonymous load client: a rate limit that is checked on every request but never refuses.
MODEL_ENV=(CHARTGATE_PROVIDER=openai CHARTGATE_ROUTING__LOAD__MAX_IN_FLIGHT=100000
  CHARTGATE_RATE_LIMITS__ANONYMOUS__PER_MINUTE=6000000 CHARTGATE_RATE_LIMITS__ANONYMOUS__BURST=100000)
start_mock mock --chunk-interval-ms "$CHUNK_MS" --text "$TEXT"
start_mock mockcmd --latency-ms "$CMD_LATENCY_MS" --chunk-interval-ms "$CHUNK_MS" --text "$TEXT"
start_mock mockopen --chunk-interval-ms "$OPEN_CHUNK_MS" --text "$TEXT"
MOCK=$(url mock); MOCKCMD=$(url mockcmd); MOCKOPEN=$(url mockopen)
start_server srv "${MODEL_ENV[@]}" CHARTGATE_ROUTING__FAST_PATH=false CHARTGATE_OPENAI_BASE_URL="$MOCK"
start_server srvcmd "${MODEL_ENV[@]}" CHARTGATE_OPENAI_BASE_URL="$MOCKCMD"
start_server srvopen "${MODEL_ENV[@]}" CHARTGATE_ROUTING__FAST_PATH=false CHARTGATE_OPENAI_BASE_URL="$MOCKOPEN"
SRV=$(url srv); SRVCMD=$(url srvcmd); SRVOPEN=$(url srvopen)

echo '{"query":"what moved the semiconductor sector this week?","user_id":"load-user"}' >"$WORK/ask.json"
printf '{"query":"%s","user_id":"load-user"}\n' "$CMD_QUERY" >"$WORK/cmd.json"
# One probe through the server; the mock keeps the exact upstream body it sent (stream: true).
curl -fsS -N -X POST "$SRV/api/agent/stream" -H 'content-type: application/json' \
  --data-binary @"$WORK/ask.json" --max-time 30 >"$WORK/probe.sse"
grep -q '"type":"done"' "$WORK/probe.sse" && grep -q '"model":"gpt-' "$WORK/probe.sse" || {
  echo "stream.sh: the server did not stream an answer from the mock:" >&2; cat "$WORK/probe.sse" >&2; exit 1; }
curl -fsS "${MOCK%/v1}/mock/last_request" >"$WORK/upstream.json"
grep -q '"stream":true' "$WORK/upstream.json" || {
  echo "stream.sh: the server's upstream request did not ask for a stream:" >&2; head -c 400 "$WORK/upstream.json" >&2; exit 1; }
curl -fsS -N -X POST "$SRVCMD/api/agent/stream" -H 'content-type: application/json' \
  --data-binary @"$WORK/cmd.json" --max-time 30 >"$WORK/probe-cmd.sse"
grep -q '"type":"chart_command"' "$WORK/probe-cmd.sse" && grep -q '"model":"gpt-' "$WORK/probe-cmd.sse" || {
  echo "stream.sh: \"$CMD_QUERY\" gave no chart command before a model answer:" >&2; cat "$WORK/probe-cmd.sse" >&2; exit 1; }
"$BIN_DIR/examples/floor_proxy" 127.0.0.1:0 "$MOCK/chat/completions" "$WORK/upstream.json" >"$WORK/floor.out" 2>&1 &
PIDS+=($!)
echo $! >"$WORK/floor.pid"
FLOOR=$(url floor)
echo "mock=$MOCK floor=$FLOOR srv=$SRV srvcmd=$SRVCMD srvopen=$SRVOPEN; upstream body $(wc -c <"$WORK/upstream.json") bytes"

declare -A R
run() {
  local key=$1 label=$2; shift 2
  R[$key]=$(load "$key" "$@")
  printf '%-30s %s\n' "$label:" "${R[$key]}"
}

echo "== $ROUNDS round(s) of $STREAMS streams, $CONC at once, chunk every $CHUNK_MS ms; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$ROUNDS"); do
  run "direct$i" "round $i mock direct" "$MOCK/chat/completions" "$WORK/upstream.json" "$STREAMS" "$CONC"
  run "floor$i" "round $i floor -> mock" "$FLOOR/ask" "$WORK/ask.json" "$STREAMS" "$CONC" "$(pid floor)"
  run "server$i" "round $i server -> mock" "$SRV/api/agent/stream" "$WORK/ask.json" "$STREAMS" "$CONC" "$(pid srv)"
done
echo "== first chart_command, mock's first chunk after $CMD_LATENCY_MS ms; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run cmd "server, fast path on" "$SRVCMD/api/agent/stream" "$WORK/cmd.json" "$CMD_STREAMS" "$CMD_CONC" "$(pid srvcmd)"
echo "== $OPEN_STREAMS streams at once, chunk every $OPEN_CHUNK_MS ms; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run open "server, $OPEN_STREAMS open" "$SRVOPEN/api/agent/stream" "$WORK/ask.json" "$OPEN_STREAMS" "$OPEN_STREAMS" "$(pid srvopen)"
OPEN_HWM=$(hwm_kb "$(pid srvopen)")
OPEN_RSS=$(rss_kb "$(pid srvopen)")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# sub A B: A - B to 3 decimals ("-" when either is missing).
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", a - b }'; }
median() { tr ' ' '\n' | grep -v '^-$' | sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f", (v[NR/2] + v[NR/2+1]) / 2}'; }

table() {
  echo "| scenario | streams | ok | errors | TTFB p50 ms | TTFB p99 ms | gap p50 µs | gap p99 µs | first command p50 / p99 ms | content events | peak open | gateway CPU µs/stream |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  local keys=() k r
  for i in $(seq "$ROUNDS"); do keys+=("direct$i" "floor$i" "server$i"); done
  keys+=(cmd open)
  for k in "${keys[@]}"; do
    r=${R[$k]}
    echo "| $k | $(field "$r" streams) | $(field "$r" ok) | $(field "$r" errors) | $(field "$r" ttfb_p50_ms) | $(field "$r" ttfb_p99_ms) | $(field "$r" gap_p50_us) | $(field "$r" gap_p99_us) | $(field "$r" cmd_p50_ms) / $(field "$r" cmd_p99_ms) | $(field "$r" content_min)–$(field "$r" content_max) | $(field "$r" peak_open) | $(field "$r" cpu_us) |"
  done
  echo
  local t50=() t99=() g99=() f50=() f99=() fg99=()
  for i in $(seq "$ROUNDS"); do
    local d=${R[direct$i]} f=${R[floor$i]} s=${R[server$i]}
    t50+=("$(sub "$(field "$s" ttfb_p50_ms)" "$(field "$f" ttfb_p50_ms)")")
    t99+=("$(sub "$(field "$s" ttfb_p99_ms)" "$(field "$f" ttfb_p99_ms)")")
    g99+=("$(sub "$(field "$s" gap_p99_us)" "$(field "$f" gap_p99_us)")")
    f50+=("$(sub "$(field "$f" ttfb_p50_ms)" "$(field "$d" ttfb_p50_ms)")")
    f99+=("$(sub "$(field "$f" ttfb_p99_ms)" "$(field "$d" ttfb_p99_ms)")")
    fg99+=("$(sub "$(field "$f" gap_p99_us)" "$(field "$d" gap_p99_us)")")
  done
  echo "server over the floor, per round: TTFB p50 +${t50[*]} ms, TTFB p99 +${t99[*]} ms (target <= 0.5), gap p99 +${g99[*]} µs (target <= 50)"
  echo "server over the floor, median of rounds: TTFB p50 $(median <<<"${t50[*]}") ms, TTFB p99 $(median <<<"${t99[*]}") ms, gap p99 $(median <<<"${g99[*]}") µs"
  echo "floor over the mock direct, median of rounds: TTFB p50 $(median <<<"${f50[*]}") ms, TTFB p99 $(median <<<"${f99[*]}") ms, gap p99 $(median <<<"${fg99[*]}") µs"
  echo "first chart_command with the model's first chunk after $CMD_LATENCY_MS ms: p50 $(field "${R[cmd]}" cmd_p50_ms) ms, p99 $(field "${R[cmd]}" cmd_p99_ms) ms (target <= 5); first content p50 $(field "${R[cmd]}" ttfb_p50_ms) ms"
  echo "$OPEN_STREAMS streams at once: $(field "${R[open]}" ok) ok, $(field "${R[open]}" errors) errors, peak $(field "${R[open]}" peak_open) open; server peak RSS $(awk -v k="$OPEN_HWM" 'BEGIN {printf "%.1f", k / 1024}') MB (target <= 100), $(awk -v k="$OPEN_RSS" 'BEGIN {printf "%.1f", k / 1024}') MB after"
}
echo "== summary"
table | tee -a "${RESULTS:-/dev/null}"
