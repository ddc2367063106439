#!/usr/bin/env bash
# The prompt cache under load, on loopback: `POST /ask` answered from each tier in turn.
#
#   memory  default cache; one warm-up request, then every request is a memory hit
#   sqlite  cache.memory_max_bytes = 1 (nothing fits in memory): every request reads SQLite
#   redis   memory as above and the SQLite path unopenable: every request reads Redis
#           (needs redis-server; skipped when it is not installed)
#
# Each prints wrk's RESULT line (RPS, p50/p90/p99 ms) and the server's X-Cache for the body.
#
#   tests/load/cache.sh                      # builds release binaries, 10 s per scenario
#   DURATION=5s SKIP_BUILD=1 tests/load/cache.sh
#
# Environment: DURATION (default 10s), THREADS (wrk threads, default 2), CONNS (default 64),
# SKIP_BUILD=1, BIN_DIR (default $CARGO_TARGET_DIR/release or target/release). Needs wrk and curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/load"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "cache.sh: needs $tool (apt-get install -y $tool)" >&2; exit 1; }
done
if [[ -z ${SKIP_BUILD:-} ]]; then
  (cd "$ROOT" && cargo build --release -p chartgate-server --bin chartgate && cargo build --release -p chartgate-mock-openai)
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_line() {
  for _ in $(seq 300); do
    if grep -Eo "$2" "$1" 2>/dev/null | head -n1 | grep .; then return 0; fi
    sleep 0.1
  done
  echo "cache.sh: timed out waiting for $2 in $1" >&2
  cat "$1" >&2 || true
  return 1
}

"$BIN_DIR/chartgate-mock-openai" --bind 127.0.0.1:0 >"$WORK/mock.out" 2>&1 &
PIDS+=($!)
MOCK=$(wait_for_line "$WORK/mock.out" 'http://127\.0\.0\.1:[0-9]+(/v1)?')

REDIS_URL=""
if command -v redis-server >/dev/null; then
  RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$WORK/redis.out" 2>&1 &
  PIDS+=($!)
  REDIS_URL="redis://127.0.0.1:$RPORT"
  sleep 0.5
fi

BODY="$WORK/body.json"
echo '{"query": "explain what the RSI indicator measures", "user_id": "load"}' >"$BODY"

# scenario NAME VAR=VALUE...: a server with those settings, one warm-up, wrk, the RESULT line.
scenario() {
  local name=$1; shift
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec env -i PATH="$PATH" CHARTGATE_LOG=warn \
    CHARTGATE_PROVIDER=openai CHARTGATE_OPENAI_BASE_URL="$MOCK" CHARTGATE_ROUTING__FAST_PATH=false \
    "$@" "$BIN_DIR/chartgate" serve --bind 127.0.0.1:0 >"$WORK/$name.out" 2>"$WORK/$name.err") &
  local pid=$!
  PIDS+=($pid)
  local base
  base=$(wait_for_line "$WORK/$name.out" 'http://127\.0\.0\.1:[0-9]+')
  curl -s -o /dev/null -H 'content-type: application/json' --data @"$BODY" "$base/ask"
  sleep 0.3 # the first answer's writes land (SQLite batch, Redis SET)
  local x
  x=$(curl -s -o /dev/null -D - -H 'content-type: application/json' --data @"$BODY" "$base/ask" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
  BODY_FILE="$BODY" DELAY_MS=0 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/post.lua" "$base/ask" >"$WORK/$name.wrk" 2>&1
  echo "$name X-Cache=$x $(grep RESULT "$WORK/$name.wrk")"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

scenario memory
scenario sqlite CHARTGATE_CACHE__MEMORY_MAX_BYTES=1
if [[ -n $REDIS_URL ]]; then
  touch "$WORK/not-a-dir"
  scenario redis CHARTGATE_CACHE__MEMORY_MAX_BYTES=1 CHARTGATE_CACHE__PATH="$WORK/not-a-dir/cache.sqlite3" \
    CHARTGATE_REDIS__URL="$REDIS_URL" CHARTGATE_REDIS__KEY_PREFIX=bench
fi

# restart: a server stores the answer in its SQLite file and stops; 100,000 more entries are
# added to the file; a new process on it answers its first request from SQLite. Prints the time
# from the process start to that answer, and its X-Cache.
mkdir -p "$WORK/restart"
start_restart() {
  (cd "$WORK/restart" && exec env -i PATH="$PATH" CHARTGATE_LOG=warn \
    CHARTGATE_PROVIDER=openai CHARTGATE_OPENAI_BASE_URL="$MOCK" CHARTGATE_ROUTING__FAST_PATH=false \
    "$BIN_DIR/chartgate" serve --bind 127.0.0.1:0 >"$WORK/restart.out" 2>"$WORK/restart.err") &
  RPID=$!
  PIDS+=($RPID)
}
start_restart
base=$(wait_for_line "$WORK/restart.out" 'http://127\.0\.0\.1:[0-9]+')
curl -s -o /dev/null -H 'content-type: application/json' --data @"$BODY" "$base/ask"
sleep 0.5
kill -TERM "$RPID"; wait "$RPID" 2>/dev/null || true
python3 - "$WORK/restart/data/cache.sqlite3" <<'PY'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1000)
body = json.dumps({"format": 1, "key": "", "intent": "educational", "model": "gpt-4o", "tier": "mid",
                   "text": "filler " * 60, "events": [{"t": "content", "text": "filler " * 60}],
                   "prompt_tokens": 100, "completion_tokens": 80, "cost_usd": 0.001,
                   "created_ms": now, "expires_ms": now + 86400000}).encode()
db.executemany(
    "INSERT INTO entries (key, intent, model, size, created_ms, expires_ms, last_used_ms, hits, body) VALUES (?, 'educational', 'gpt-4o', ?, ?, ?, ?, 0, ?)",
    ((f"{i:064x}", len(body), now, now + 86400000, now, body) for i in range(100000)))
db.commit()
print("restart: entries in the file:", db.execute("SELECT count(*) FROM entries").fetchone()[0])
PY
: >"$WORK/restart.out"
t0=$(date +%s%N)
start_restart
base=$(wait_for_line "$WORK/restart.out" 'http://127\.0\.0\.1:[0-9]+')
x=$(curl -s -o /dev/null -D - -H 'content-type: application/json' --data @"$BODY" "$base/ask" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
t1=$(date +%s%N)
echo "restart X-Cache=$x first answer $(( (t1 - t0) / 1000000 )) ms after the process started (includes polling for its listen line every 100 ms)"
