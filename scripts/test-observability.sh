#!/usr/bin/env bash
# The observability checks (scripts/test.sh calls this; it also runs alone):
#   dashboards  generated JSON has not drifted, passes the lint, validates against a JSON Schema
#               generated from @grafana/schema's dashboard types, and every query parses (promtool);
#   rules       promtool check rules + unit tests, and mutated rules must fail those tests;
#   alertmanager amtool check-config and route tests;
#   deploy      promtool check config on deploy/prometheus.yml, the compose file and Dockerfile;
#   live        the real server and mock on loopback: the first scrape already has every family,
#               a workload's scrape passes `promtool check metrics`, names every metric the
#               dashboards and rules use, and matches docs/metrics.md;
#   end to end  real Prometheus (5 s scrapes) and Alertmanager with test copies of the rules (only
#               timing shortened): an upstream fault must reach a local webhook as a firing
#               ChartgateHighErrorRate and resolve after the fault stops; prints the time to detect.
# Each negative check feeds a broken input and fails the run if the check accepts it.
# Installs what it needs when missing (Debian prometheus, prometheus-alertmanager; npm ci of
# dashboards/tools). Loopback only; every process it starts is stopped by its PID on exit.
#
#   bash scripts/test-observability.sh            # all of it (builds the debug binaries)
#   SKIP_BUILD=1 BIN_DIR=target/debug bash scripts/test-observability.sh
#   E2E=0 bash scripts/test-observability.sh      # everything but the Prometheus/Alertmanager run
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/debug}
TOOLS_DIR=$ROOT/dashboards/tools
E2E=${E2E:-1}
E2E_TIMEOUT=${E2E_TIMEOUT:-120}

step() { printf '\n== observability: %s (at %d s) ==\n' "$*" "$((SECONDS - START))"; }
fail() { echo "test-observability: $*" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# expect_fail WHAT CMD...: a negative check; CMD must exit non-zero.
expect_fail() {
  local what=$1; shift
  if "$@" >"$WORK/neg.out" 2>&1; then
    cat "$WORK/neg.out" >&2
    fail "the check accepted a broken input: $what"
  fi
  echo "rejects: $what"
}

step "packages"
# Debian 12 ships Prometheus 2.42 and Alertmanager 0.25; anything older lacks flags used below.
need_apt=()
{ command -v promtool >/dev/null && command -v prometheus >/dev/null &&
  promtool --version 2>&1 | grep -qE 'version 2\.(4[2-9]|[5-9][0-9])'; } || need_apt+=(prometheus)
{ command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null &&
  amtool --version 2>&1 | grep -qE 'version 0\.(2[5-9]|[3-9][0-9])'; } || need_apt+=(prometheus-alertmanager)
if [ "${#need_apt[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when apt cannot find the packages as it is.
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  }
fi
promtool --version 2>&1 | head -n1
amtool --version 2>&1 | head -n1
for tool in node npm curl python3; do command -v "$tool" >/dev/null || fail "$tool is required"; done
# The interpreter itself, not a version manager's shim (a shim costs ~0.5 s a call on a busy box).
PY=$(python3 -c 'import sys; print(sys.executable)')

step "npm ci (dashboards/tools)"
if [ "$TOOLS_DIR/node_modules/.package-lock.json" -nt "$TOOLS_DIR/package-lock.json" ] &&
  [ "$TOOLS_DIR/node_modules/.package-lock.json" -nt "$TOOLS_DIR/package.json" ]; then
  echo "present"
else
  (cd "$TOOLS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
CHECK=(node "$TOOLS_DIR/check.mjs")

step "dashboards: drift, lint, schema, PromQL"
node "$TOOLS_DIR/generate.mjs" --check
"${CHECK[@]}" lint
mkdir -p "$WORK/bad-dash"
cp dashboards/*.json "$WORK/bad-dash/"
node -e '
  const fs = require("fs"); const f = process.argv[1]; const d = JSON.parse(fs.readFileSync(f));
  const p = d.panels.find((p) => p.type !== "row"); delete p.description; delete p.fieldConfig.defaults.unit;
  fs.writeFileSync(f, JSON.stringify(d));' "$WORK/bad-dash/cost.json"
expect_fail "a panel without description and unit (lint)" "${CHECK[@]}" lint "$WORK/bad-dash"
expect_fail "a hand-edited dashboard (drift)" node "$TOOLS_DIR/generate.mjs" --check --dir "$WORK/bad-dash"

# The schema: ts-json-schema-generator over the Dashboard type of @grafana/schema (the raw
# dashboard types, additionalProperties false), then ajv.
# Generating takes ~30 s on a busy machine, so the result is kept in node_modules/.cache, keyed by
# the lockfile (a new @grafana/schema or generator means a new lockfile, so a new schema).
SCHEMA="$TOOLS_DIR/node_modules/.cache/dashboard.schema.$(sha256sum "$TOOLS_DIR/package-lock.json" | cut -c1-16).json"
if [ ! -s "$SCHEMA" ]; then
  mkdir -p "$(dirname "$SCHEMA")"
  (cd "$TOOLS_DIR" && npx --no-install ts-json-schema-generator --no-type-check \
    --path node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts \
    --type Dashboard -o "$SCHEMA.tmp") && mv "$SCHEMA.tmp" "$SCHEMA"
fi
echo "schema from @grafana/schema $(node -p "require('$TOOLS_DIR/node_modules/@grafana/schema/package.json').version") Dashboard: $(wc -c <"$SCHEMA") bytes"
AJV=("$TOOLS_DIR/node_modules/.bin/ajv" validate --spec=draft7 --strict=false --errors=text -s "$SCHEMA")
"${AJV[@]}" -d "dashboards/*.json"
node -e '
  const fs = require("fs"); const f = process.argv[1]; const d = JSON.parse(fs.readFileSync(f));
  d.panels.find((p) => p.type !== "row").gridPosition = { x: 0 };
  fs.writeFileSync(f, JSON.stringify(d));' "$WORK/bad-dash/routing.json"
expect_fail "a panel with an unknown field (schema)" "${AJV[@]}" -d "$WORK/bad-dash/routing.json"

"${CHECK[@]}" promql "$WORK/dashboard-queries.yml"
promtool check rules "$WORK/dashboard-queries.yml" | tail -n1
printf 'groups:\n  - name: bad\n    rules:\n      - record: bad:query\n        expr: sum by (route (rate(http_requests_total[5m]))\n' >"$WORK/bad-query.yml"
expect_fail "an unbalanced PromQL query (promtool)" promtool check rules "$WORK/bad-query.yml"

step "rules: check, unit tests, mutations"
"${CHECK[@]}" lint >/dev/null
promtool check rules alerts/recording.rules.yml alerts/chartgate.rules.yml
# One promtool per test file, in parallel (each takes 1-3 s on a busy machine).
unit_pids=()
unit_files=(alerts/tests/*.test.yml)
for f in "${unit_files[@]}"; do
  promtool test rules "$f" >"$WORK/unit.$(basename "$f").out" 2>&1 &
  unit_pids+=($!)
done
for i in "${!unit_files[@]}"; do
  f=${unit_files[$i]}
  wait "${unit_pids[$i]}" || { cat "$WORK/unit.$(basename "$f").out" >&2; fail "promtool test rules $f failed"; }
done
echo "promtool test rules: ${#unit_files[@]} files, every test passed"
# Each mutation changes one threshold, window, duration or matcher; its alert's unit tests must
# fail. Mutants are written first, then tested in parallel (promtool takes ~1-3 s per file here).
MUTANTS=()
mutate() { # TEST FILE FROM TO: the rules with FROM replaced by TO in FILE must fail alerts/tests/TEST.test.yml
  local dir="$WORK/mut/${#MUTANTS[@]}"
  mkdir -p "$dir/tests"
  cp alerts/recording.rules.yml alerts/chartgate.rules.yml "$dir/"
  cp "alerts/tests/$1.test.yml" "$dir/tests/"
  FROM=$3 TO=$4 "$PY" -c '
import os, sys
p = sys.argv[1]; s = open(p).read(); a, b = os.environ["FROM"], os.environ["TO"]
if a not in s: sys.exit("mutation target not found: " + a)
open(p, "w").write(s.replace(a, b, 1))' "$dir/$2" || fail "mutation target missing in $2: $3"
  MUTANTS+=("$dir/tests/$1.test.yml|$2: '$3' -> '$4' ($1.test.yml)")
}
mutate target-down chartgate.rules.yml 'up{job="chartgate"} == 0' 'up{job="chartgate"} < 0'
mutate target-down chartgate.rules.yml 'for: 2m' 'for: 10m'
mutate error-rate chartgate.rules.yml 'job:http_error_ratio:rate5m > 0.05' 'job:http_error_ratio:rate5m > 0.2'
mutate error-rate chartgate.rules.yml 'job:http_error_ratio:rate5m > 0.05' 'job:http_error_ratio:rate5m > 0.03'
mutate error-rate chartgate.rules.yml 'job:http_requests:rate5m > 0.1' 'job:http_requests:rate5m > 0'
mutate error-rate recording.rules.yml 'rate(http_requests_total{job="chartgate", route!="/metrics"}[5m])' 'rate(http_requests_total{job="chartgate"}[5m])'
mutate latency chartgate.rules.yml '> 8 and' '> 10 and'
mutate latency chartgate.rules.yml '> 8 and' '> 4 and'
mutate upstream-down chartgate.rules.yml 'outcome="ok"}[5m])) > 0)' 'outcome="ok"}[5m])) >= 0)'
mutate breaker chartgate.rules.yml '[5m])) == 2' '[5m])) >= 1'
mutate cost chartgate.rules.yml 'increase1h > 50' 'increase1h > 70'
mutate cost chartgate.rules.yml 'projected_day > 600' 'projected_day > 500'
mutate tool-calls chartgate.rules.yml 'rate5m > 0.1 and job:chart_tool_calls' 'rate5m > 0.3 and job:chart_tool_calls'
mutate tool-calls recording.rules.yml 'outcome!="valid"' 'outcome="invalid"'
mutate ledger chartgate.rules.yml 'outcome="error"}[5m]) > 0' 'outcome="error"}[5m]) > 1'
mutate sse-resume chartgate.rules.yml 'job:sse_resumes:rate5m > 0.2' 'job:sse_resumes:rate5m > 0.6'
mutate sse-resume recording.rules.yml 'outcome=~"not_found|unavailable"' 'outcome="unavailable"'
mutate prompt-cache chartgate.rules.yml 'job:prompt_cache_hit_ratio:rate5m < 0.2' 'job:prompt_cache_hit_ratio:rate5m < 0.05'
mutate prompt-cache recording.rules.yml 'prompt_cache_requests_total{job="chartgate", tier="memory"}' 'prompt_cache_requests_total{job="chartgate"}'
mutate budget recording.rules.yml 'max by (job) (budget_spend_usd' 'sum by (job) (budget_spend_usd'
mutate budget chartgate.rules.yml 'used_ratio > 0.8' 'used_ratio > 0.9'
mutate budget chartgate.rules.yml 'budget_refusals_total{job="chartgate", scope="global"}' 'budget_refusals_total{job="chartgate"}'
mutate redis-auth chartgate.rules.yml 'outcome="error"}[5m])) > 0' 'outcome="error"}[5m])) >= 0'
mutate redis-auth chartgate.rules.yml 'reason="lookup_error"}[5m])) > 0' 'reason!="lookup_error"}[5m])) > 0'
mut_pids=()
for m in "${MUTANTS[@]}"; do
  promtool test rules "${m%%|*}" >"${m%%|*}.out" 2>&1 &
  mut_pids+=($!)
done
survivors=0
for i in "${!MUTANTS[@]}"; do
  m=${MUTANTS[$i]}
  if wait "${mut_pids[$i]}"; then
    echo "SURVIVED: ${m#*|}" >&2
    survivors=$((survivors + 1))
  else
    echo "rejects: mutated ${m#*|}"
  fi
done
[ "$survivors" -eq 0 ] || fail "$survivors rule mutations passed the unit tests"

step "alertmanager: config and routes"
amtool check-config alerts/alertmanager.yml
route_test() { # LABELS... EXPECTED_RECEIVERS (last)
  local expected=${*: -1}
  amtool config routes test --config.file=alerts/alertmanager.yml --verify.receivers="$expected" "${@:1:$#-1}" 2>/dev/null
}
route_test severity=critical alertname=ChartgateHighErrorRate job=chartgate webhook,pagerduty,slack
route_test severity=warning alertname=ChartgateApiCostHigh job=chartgate webhook,slack,email
route_test severity=info alertname=Other webhook
expect_fail "a critical alert routed only to Slack (routes test)" route_test severity=critical alertname=ChartgateTargetDown slack
grep -q 'alertname="ChartgateTargetDown"' alerts/alertmanager.yml || fail "no inhibition by ChartgateTargetDown"
sed 's/matchers: \[.severity="critical".\]/matchers: [severity="critical"/' alerts/alertmanager.yml >"$WORK/bad-am.yml"
expect_fail "a malformed alertmanager.yml (check-config)" amtool check-config "$WORK/bad-am.yml"

step "deploy: prometheus.yml, compose, Dockerfile"
promtool check config deploy/prometheus.yml
expect_fail "a prometheus.yml naming a missing rule file (check config)" \
  promtool check config <(sed 's#../alerts/chartgate.rules.yml#/nonexistent/chartgate.rules.yml#' deploy/prometheus.yml)
"${CHECK[@]}" deploy
sed 's#- ../dashboards/cost.json:.*##' deploy/compose.yml >"$WORK/bad-compose.yml"
expect_fail "a compose file whose Grafana misses a dashboard" "${CHECK[@]}" deploy "$WORK/bad-compose.yml"
grep -q 'grafana does not mount dashboards/cost.json' "$WORK/neg.out" || fail "the compose check failed for another reason: $(cat "$WORK/neg.out")"
# Every COPY source of the Dockerfile exists (the build context is the repository root).
awk '/^COPY / && !/--from=/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' deploy/Dockerfile |
  while read -r src; do [ -e "$src" ] || fail "deploy/Dockerfile copies missing $src"; done
echo "Dockerfile: every COPY source exists"

step "build (debug)"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build -q --locked -p chartgate-server -p chartgate-mock-openai
fi

# wait_for_line FILE PATTERN: prints the first match of PATTERN in FILE, waiting up to 30 s.
wait_for_line() {
  for _ in $(seq 300); do
    if grep -Eo "$2" "$1" 2>/dev/null | head -n1 | grep .; then return 0; fi
    sleep 0.1
  done
  cat "$1" >&2 || true
  fail "timed out waiting for $2 in $1"
}
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "live: the real server in front of the mock"
"$BIN_DIR/chartgate-mock-openai" --bind 127.0.0.1:0 >"$WORK/mock.out" 2>&1 &
PIDS+=($!)
MOCK=$(wait_for_line "$WORK/mock.out" 'http://127\.0\.0\.1:[0-9]+/v1')
MOCK_ROOT=${MOCK%/v1}
mkdir -p "$WORK/server"
# The workload and the alert traffic come from one anonymous address: no rate limit.
(cd "$WORK/server" && exec env -i PATH="$PATH" CHARTGATE_LOG=warn CHARTGATE_PROVIDER=openai \
  CHARTGATE_RATE_LIMITS__ANONYMOUS__PER_MINUTE=0 \
  CHARTGATE_OPENAI_BASE_URL="$MOCK" "$BIN_DIR/chartgate" serve --bind 127.0.0.1:0 \
  >"$WORK/server.out" 2>"$WORK/server.err") &
PIDS+=($!)
SRV=$(wait_for_line "$WORK/server.out" 'http://127\.0\.0\.1:[0-9]+')
echo "server $SRV, mock $MOCK"
curl -fsS "$SRV/metrics" >"$WORK/scrape0.txt"

mock_errors() { # RATE: the share of upstream calls the mock fails with a 500
  curl -fsS -X PUT "$MOCK_ROOT/mock/config" -H 'content-type: application/json' \
    -d "{\"default\":{\"error_rate\":$1,\"error_status\":500}}" >/dev/null
}
# `Cache-Control: no-store`: the injected upstream errors must reach the answers (a prompt cache
# hit would answer the same question without calling the mock); cached_ask goes through the cache.
ask() { curl -sS -o /dev/null -w '%{http_code}\n' -X POST "$SRV/ask" -H 'content-type: application/json' -H 'cache-control: no-store' -d "$1"; }
cached_ask() { curl -sS -o /dev/null -w '%{http_code}\n' -X POST "$SRV/ask" -H 'content-type: application/json' -d "$1"; }
FAST='{"query":"show me TSLA on the daily with RSI","user_id":"obs-test"}'
MODEL='{"query":"what moved the semiconductor sector this week?","user_id":"obs-test"}'
{
  for _ in 1 2 3; do ask "$FAST"; ask "$MODEL"; done
  mock_errors 0.5
  for _ in 1 2 3 4; do ask "$MODEL"; done
  mock_errors 0
  CACHED='{"query":"why did chip stocks fall on Tuesday?","user_id":"obs-test"}'
  cached_ask "$CACHED"; cached_ask "$CACHED"
  ask '{"query": 42}'
  ask 'not json'
  curl -sS -o /dev/null -w '%{http_code}\n' "$SRV/health"
  curl -sS -o /dev/null -w '%{http_code}\n' "$SRV/ready"
  curl -sS -o /dev/null -w '%{http_code}\n' "$SRV/api/flags?user_id=obs-test"
  curl -sS -o /dev/null -w '%{http_code}\n' "$SRV/no-such-route"
} >"$WORK/statuses.txt"
echo "workload statuses: $(sort "$WORK/statuses.txt" | uniq -c | tr -s ' \n' ' ')"
grep -qx 200 "$WORK/statuses.txt" && grep -q '^5' "$WORK/statuses.txt" && grep -q '^4' "$WORK/statuses.txt" ||
  fail "the workload should give 2xx, 4xx and 5xx answers"
curl -fsS "$SRV/metrics" >"$WORK/scrape1.txt"
promtool check metrics <"$WORK/scrape1.txt"
echo "promtool check metrics: clean"
printf '# HELP bad_seconds x\n# TYPE bad_seconds counter\nbad_seconds 1\n' >"$WORK/bad-scrape.txt"
expect_fail "a counter without _total (promtool check metrics)" sh -c "promtool check metrics <'$WORK/bad-scrape.txt'"
grep -q 'openai_errors_total{model="gpt-4o-mini",reason="server_error"} [1-9]' "$WORK/scrape1.txt" ||
  fail "the workload's injected upstream errors are not counted"
grep -Eq '^prompt_cache_requests_total\{[^}]*outcome="hit"[^}]*\} [1-9]' "$WORK/scrape1.txt" ||
  fail "the workload's repeated question was not answered from the prompt cache"
"${CHECK[@]}" metrics "$WORK/scrape1.txt"
grep -v '^chartgate_build_info' "$WORK/scrape1.txt" | grep -v '^#' >"$WORK/bad-scrape2.txt"
expect_fail "a scrape without chartgate_build_info (metrics)" "${CHECK[@]}" metrics "$WORK/bad-scrape2.txt"
# The first scrape, before any request, already has every family and every route's series.
families() { awk '/^# TYPE / {print $3}' "$1" | sort; }
missing=$(comm -13 <(families "$WORK/scrape0.txt") <(families "$WORK/scrape1.txt"))
[ -z "$missing" ] || fail "families missing from the first scrape: $missing"
routes() { grep -Eo '^http_request_duration_seconds_count\{method="[A-Z]+",route="[^"]+"' "$1" | grep -v 'route="unmatched"' | sort -u; }
missing=$(comm -13 <(routes "$WORK/scrape0.txt") <(routes "$WORK/scrape1.txt"))
[ -z "$missing" ] || fail "routes missing from the first scrape (metrics::HTTP_ROUTES): $missing"
if grep -E '^(openai_|circuit_breaker_)[a-z_]*\{[^}]*model="offline"' "$WORK/scrape0.txt"; then
  fail "the offline answerer is labelled as an upstream model"
fi
echo "first scrape: $(families "$WORK/scrape0.txt" | wc -l) families, all that a workload produces; no upstream series for offline"

if [ "$E2E" != 1 ]; then
  step "passed in $((SECONDS - START)) s (end to end skipped: E2E=$E2E)"
  exit 0
fi

step "end to end: Prometheus and Alertmanager to a webhook"
mkdir -p "$WORK/e2e/rules"
"$PY" alerts/tests/webhook_receiver.py "$WORK/e2e/webhook.jsonl" >"$WORK/webhook.out" 2>&1 &
PIDS+=($!)
HOOK=$(wait_for_line "$WORK/webhook.out" 'http://127\.0\.0\.1:[0-9]+')
"${CHECK[@]}" test-copies "$WORK/e2e/rules" "$HOOK" 10s
mv "$WORK/e2e/rules/alertmanager.yml" "$WORK/e2e/alertmanager.yml"
amtool check-config "$WORK/e2e/alertmanager.yml" >/dev/null
AM_PORT=$(free_port)
prometheus-alertmanager --config.file="$WORK/e2e/alertmanager.yml" --storage.path="$WORK/e2e/am" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn \
  >"$WORK/am.log" 2>&1 &
PIDS+=($!)
SRV_HOSTPORT=${SRV#http://}
cat >"$WORK/e2e/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $WORK/e2e/rules/recording.rules.yml
  - $WORK/e2e/rules/chartgate.rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$AM_PORT"]
scrape_configs:
  - job_name: chartgate
    static_configs:
      - targets: ["$SRV_HOSTPORT"]
EOF
promtool check config "$WORK/e2e/prometheus.yml" >/dev/null
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"
prometheus --config.file="$WORK/e2e/prometheus.yml" --storage.tsdb.path="$WORK/e2e/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prom.log" 2>&1 &
PIDS+=($!)

# Steady traffic through the model path, ~10 asks/s, for the rest of the test.
(while :; do ask "$MODEL" >/dev/null 2>&1 || true; sleep 0.1; done) &
PIDS+=($!)

prom_value() { # QUERY: the first sample's value, or nothing
  curl -fsS -G "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    "$PY" -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
deadline=$((SECONDS + 60))
until [ -n "$(prom_value 'job:http_requests:rate5m > 0')" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/prom.log" >&2; fail "Prometheus recorded no request rate within 60 s"; }
  sleep 1
done
[ "$(curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" -o /dev/null -w '%{http_code}')" = 200 ] || fail "Alertmanager is not ready"
echo "Prometheus $PROM scrapes $SRV_HOSTPORT and records traffic; Alertmanager 127.0.0.1:$AM_PORT ready"
[ ! -s "$WORK/e2e/webhook.jsonl" ] || { cat "$WORK/e2e/webhook.jsonl" >&2; fail "a notification arrived before the fault"; }

# notified STATUS: the receive time of the first STATUS notification of ChartgateHighErrorRate at
# the webhook receiver's /webhook path (the catch-all route), or nothing.
notified() {
  "$PY" - "$WORK/e2e/webhook.jsonl" "$1" <<'EOF'
import json, sys
path, status = sys.argv[1], sys.argv[2]
try:
    lines = open(path).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    n = json.loads(line)
    b = n["body"]
    if n["path"] == "/webhook" and any(a["labels"].get("alertname") == "ChartgateHighErrorRate" and a["status"] == status for a in b["alerts"]):
        print(n["received_at"])
        break
EOF
}
now() { "$PY" -c 'import time; print(time.time())'; }

T_FAULT=$(now)
mock_errors 1
echo "fault: the mock fails every upstream call"
deadline=$((SECONDS + E2E_TIMEOUT))
until [ -n "$(notified firing)" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$WORK/prom.log" "$WORK/am.log" >&2; fail "no firing ChartgateHighErrorRate within $E2E_TIMEOUT s"; }
  sleep 0.5
done
T_FIRED=$(notified firing)
DETECT=$("$PY" -c "print(f'{$T_FIRED - $T_FAULT:.1f}')")
echo "firing ChartgateHighErrorRate reached the webhook ${DETECT} s after the fault"
"$PY" - "$WORK/e2e/webhook.jsonl" <<'EOF' || fail "the critical alert did not reach every receiver of its route"
import json, sys
paths = {json.loads(l)["path"] for l in open(sys.argv[1]) if any(a["labels"].get("alertname") == "ChartgateHighErrorRate" for a in json.loads(l)["body"]["alerts"])}
want = {"/webhook", "/pagerduty", "/slack"}
print("critical notification reached", ", ".join(sorted(paths)))
sys.exit(0 if want <= paths and "/email" not in paths else 1)
EOF

T_HEAL=$(now)
mock_errors 0
echo "fault stopped"
deadline=$((SECONDS + E2E_TIMEOUT))
until [ -n "$(notified resolved)" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$WORK/prom.log" "$WORK/am.log" >&2; fail "ChartgateHighErrorRate did not resolve within $E2E_TIMEOUT s"; }
  sleep 0.5
done
RESOLVE=$("$PY" -c "print(f'{$(notified resolved) - $T_HEAL:.1f}')")
echo "resolved notification ${RESOLVE} s after the fault stopped"

# Every dashboard query returns data from this Prometheus (the families exist from the start, so
# even rates of untouched counters are samples at 0).
# queries_have_data FILE: every query of FILE (one JSON string a line) returns at least one sample.
queries_have_data() {
  "$PY" -c '
import json, sys, urllib.parse, urllib.request
prom = sys.argv[1]
queries = sorted({json.loads(line) for line in open(sys.argv[2])})
empty = []
for q in queries:
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        if not json.load(r)["data"]["result"]:
            empty.append(q)
for q in empty:
    print("no data:", q, file=sys.stderr)
print(f"{len(queries) - len(empty)} of {len(queries)} distinct dashboard queries return data")
sys.exit(1 if empty else 0)' "$PROM" "$1"
}
"${CHECK[@]}" exprs >"$WORK/queries.txt"
queries_have_data "$WORK/queries.txt" || fail "dashboard queries return no data from a Prometheus scraping the server"
echo '"sum(rate(chartgate_no_such_total[1m]))"' >"$WORK/bad-queries.txt"
expect_fail "a query of a metric nobody exports (live query)" queries_have_data "$WORK/bad-queries.txt"

step "passed in $((SECONDS - START)) s; time to detect ${DETECT} s, to resolve ${RESOLVE} s"
