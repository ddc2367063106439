-- wrk script for chartgate's load harness: POSTs the JSON body in $BODY_FILE, optionally paces
-- each connection with a fixed delay ($DELAY_MS) to hold a target rate, and prints one
-- machine-readable RESULT line with RPS, latency percentiles (ms) and error counts.
-- wrk measures each latency from the moment the request is written, so the pacing delay is
-- not part of it.

local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local pause = tonumber(os.getenv("DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d errors=%d non2xx=%d\n",
    summary.requests / secs,
    latency:percentile(50) / 1000,
    latency:percentile(90) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    summary.requests,
    e.connect + e.read + e.write + e.timeout,
    e.status))
end
