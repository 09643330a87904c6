-- wrk script: one fixed request (from environment variables), every response checked.
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY, BENCH_HEADERS ("Name: value|Name: value"), BENCH_EXPECT (a
--   substring every good body contains), BENCH_REJECT (a substring no good body contains).
-- A response is good only with status 200 and the expected text; the rest count as errors.

local expect = os.getenv("BENCH_EXPECT") or ""
local reject = os.getenv("BENCH_REJECT") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  wrk.path = os.getenv("BENCH_PATH") or "/"
  local body = os.getenv("BENCH_BODY")
  if body and #body > 0 then wrk.body = body end
  for header in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
    local name, value = string.match(header, "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  good = 0
  bad = 0
end

function response(status, headers, body)
  if status == 200 and string.find(body, expect, 1, true) and (reject == "" or not string.find(body, reject, 1, true)) then
    good = good + 1
  else
    bad = bad + 1
    if bad == 1 then io.stderr:write("bad response " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local good_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    good_total = good_total + thread:get("good")
    bad_total = bad_total + thread:get("bad")
  end
  local errors = bad_total + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"requests": %d, "good": %d, "errors": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, good_total, errors, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
