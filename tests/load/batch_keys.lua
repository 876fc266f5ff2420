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

local table_name = os.getenv("TABLE") or "gold.customer_features"
local rows = tonumber(os.getenv("N") or "1000000")
local batch = tonumber(os.getenv("BATCH") or "10")
if rows == nil or rows < 1 then
    error("N must be a positive number, got " .. tostring(os.getenv("N")))
end
if batch == nil or batch < 1 then
    error("BATCH must be a positive number, got " .. tostring(os.getenv("BATCH")))
end
local max_id = math.floor(rows * 1.01)
local path = "/api/v1/tables/" .. table_name .. "/lookup"
local headers = {["Content-Type"] = "application/json"}

local threads = {}

function setup(thread)
    thread:set("thread_no", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    local salt = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
    math.randomseed(os.time() * 1000 + thread_no * 7919 + salt % 100003)
    for _ = 1, 10 do
        math.random()
    end
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
    local function ms(us)
        return us / 1000.0
    end
    io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f\n",
        ms(latency:percentile(50)), ms(latency:percentile(90)),
        ms(latency:percentile(99)), ms(latency.max), ms(latency.mean)))
    local e = summary.errors
    local seconds = summary.duration / 1e6
    local rps = seconds > 0 and summary.requests / seconds or 0
    io.write(string.format(
        "REQUESTS total=%d seconds=%.3f rps=%.1f keys_per_s=%.1f connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
        summary.requests, seconds, rps, rps * batch, e.connect, e.read, e.write, e.timeout))
end
