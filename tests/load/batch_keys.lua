-- wrk script: batch lookups of uniformly random ids.
--
--   TABLE=gold.customer_features N=1000000 BATCH=100 \
--     wrk -t2 -c64 -d10s --latency -s tests/load/batch_keys.lua http://127.0.0.1:PORT
--
-- Each request is POST /api/v1/tables/<TABLE>/lookup with {"keys": [...]}
-- holding BATCH ids drawn uniformly from 1..N*1.01 (about 1 % have no row
-- and come back as null; the request is still a 200). done() prints the
-- lines tests/load/run parses, as random_keys.lua does, plus the keys:
--
--   STATUS 200=1234 other=0
--   LATENCY p50=.. p90=.. p99=.. max=.. mean=..      (milliseconds)
--   REQUESTS total=.. seconds=.. rps=.. keys_per_s=.. connect_err=.. ...
--
-- No response() callback, for the reason random_keys.lua gives: every
-- non-2xx response counts as "other".

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")
local table_name, rows, max_id = common.settings()
local batch = tonumber(os.getenv("BATCH") or "10")
if batch == nil or batch < 1 then
    error("BATCH must be a positive number, got " .. tostring(os.getenv("BATCH")))
end
local path = "/api/v1/tables/" .. table_name .. "/lookup"
local headers = {["Content-Type"] = "application/json"}

local threads = {}
setup = common.keep_threads(threads)

function init(args)
    common.seed(thread_no)
end

local ids = {}

function request()
    for i = 1, batch do
        ids[i] = math.random(1, max_id)
    end
    return wrk.format("POST", path, headers, '{"keys":[' .. table.concat(ids, ",", 1, batch) .. "]}")
end

function done(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format("STATUS 200=%d other=%d\n", summary.requests - non2xx, non2xx))
    local seconds = summary.duration / 1e6
    local rps = seconds > 0 and summary.requests / seconds or 0
    common.report(summary, latency, string.format("keys_per_s=%.1f", rps * batch))
end
