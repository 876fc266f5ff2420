-- wrk script: primary-key lookups of uniformly random ids.
--
--   TABLE=gold.customer_features N=1000000 \
--     wrk -t2 -c64 -d10s --latency -s tests/load/random_keys.lua http://127.0.0.1:PORT
--
-- Asks GET /api/v1/tables/<TABLE>/rows/<id> with id uniform in 1..N*1.01, so
-- about 1 % of the lookups miss (404) when the table holds ids 1..N. done()
-- prints lines that tests/load/run parses:
--
--   STATUS 200=12345 404=123 other=0
--   LATENCY p50=0.81 p90=1.90 p99=4.20 max=12.03 mean=0.95      (milliseconds)
--   REQUESTS total=12468 seconds=10.0 rps=1246.8 connect_err=0 ...
--
-- The script has no response() callback on purpose: with one, wrk hands every
-- response's headers and body to Lua, which cost it 15 us of CPU per request
-- instead of 12.5 (measured), CPU that the server and Postgres share on a
-- small machine. So the statuses are counted without looking at them: wrk
-- counts the responses that are not 2xx or 3xx (summary.errors.status), and
-- request() counts the requests sent for ids past N, each of which must be a
-- 404. Hence:
--   200   = responses - non-2xx (every 2xx here is a 200)
--   404   = the requests sent for missing ids, at most the non-2xx count
--   other = non-2xx - 404: anything else (503, 504, ...), exact to within
--           the missing-id requests still in flight when wrk stopped (at
--           most one per connection; about 1 % of them are misses)
-- It measures nothing itself and asserts nothing.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")
local table_name, rows, max_id = common.settings()
local head = "GET /api/v1/tables/" .. table_name .. "/rows/"

-- ------------------------------------------------------------ main state
-- setup() and done() run in the main Lua state; the threads are kept here so
-- that done() can read their counters with thread:get.

local threads = {}
setup = common.keep_threads(threads)

-- ------------------------------------------------------------ thread state
-- init() and request() run in each thread's own Lua state.

-- missing (a global, so that done() can fetch it with thread:get) counts the
-- requests this thread sent for ids past N.

-- The request is head .. id .. tail: the bytes that wrk.format("GET", path)
-- builds (a request line and a Host header), put together with one string
-- concatenation instead of a table, two string.format calls and a concat for
-- each request. That cost wrk 0.6 us less CPU per request (9.4 against 10.0,
-- perf stat, two runs each), CPU that the server and Postgres share.
local tail

function init(args)
    common.seed(thread_no)
    missing = 0
    tail = " HTTP/1.1\r\nHost: " .. wrk.host .. "\r\n\r\n"
end

function request()
    local id = math.random(1, max_id)
    if id > rows then
        missing = missing + 1
    end
    return head .. id .. tail
end

-- ------------------------------------------------------------ main state

function done(summary, latency, requests)
    local sent_missing = 0
    for _, thread in ipairs(threads) do
        sent_missing = sent_missing + (tonumber(thread:get("missing")) or 0)
    end
    local non2xx = summary.errors.status
    local missing = math.min(sent_missing, non2xx)
    io.write(string.format("STATUS 200=%d 404=%d other=%d\n",
        summary.requests - non2xx, missing, non2xx - missing))
    common.report(summary, latency, "")
end
