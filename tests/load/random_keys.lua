-- wrk script: primary-key lookups of uniformly random ids.
--
--   TABLE=gold.customer_features N=100000 \
--     wrk -t2 -c64 -d10s --latency -s tests/load/random_keys.lua http://127.0.0.1:PORT
--
-- Asks GET /api/v1/tables/<TABLE>/rows/<id> with id uniform in 1..N*1.01, so
-- about 1 % of the lookups miss (404) when the table holds ids 1..N. Each
-- thread has its own seed and its own status counters; done() adds them up
-- and prints two lines that tests/load/run parses:
--
--   STATUS 200=12345 404=123 other=0
--   LATENCY p50=0.81 p90=1.90 p99=4.20 max=12.03      (milliseconds)
--
-- and, only when there were any, the other statuses one by one:
--
--   STATUS_OTHER 503=17 500=2
--
-- It measures nothing itself and asserts nothing.

local table_name = os.getenv("TABLE") or "gold.customer_features"
local rows = tonumber(os.getenv("N") or "100000")
if rows == nil or rows < 1 then
    error("N must be a positive number, got " .. tostring(os.getenv("N")))
end
local max_id = math.floor(rows * 1.01)
local prefix = "/api/v1/tables/" .. table_name .. "/rows/"

-- ------------------------------------------------------------ main state
-- setup() and done() run in the main Lua state; the threads are kept here so
-- that done() can read their counters with thread:get.

local threads = {}

function setup(thread)
    thread:set("thread_no", #threads + 1)
    table.insert(threads, thread)
end

-- ------------------------------------------------------------ thread state
-- init(), request() and response() run in each thread's own Lua state.

-- counts (a global, so that done() can fetch it with thread:get) maps a
-- status code to how often this thread saw it.

function init(args)
    -- os.time() alone would give both threads of one run the same sequence;
    -- the thread number and the address of a fresh table tell them apart.
    local salt = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
    math.randomseed(os.time() * 1000 + thread_no * 7919 + salt % 100003)
    -- LuaJIT's first draws after a seed are poorly spread; throw some away.
    for _ = 1, 10 do
        math.random()
    end
    counts = {}
end

function request()
    return wrk.format("GET", prefix .. math.random(1, max_id))
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

-- ------------------------------------------------------------ main state

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        local c = thread:get("counts")
        if c then
            for status, n in pairs(c) do
                status = tonumber(status)
                total[status] = (total[status] or 0) + n
            end
        end
    end

    local ok, missing, other = total[200] or 0, total[404] or 0, 0
    local others = {}
    for status, n in pairs(total) do
        if status ~= 200 and status ~= 404 then
            other = other + n
            table.insert(others, status)
        end
    end
    table.sort(others)

    io.write(string.format("STATUS 200=%d 404=%d other=%d\n", ok, missing, other))
    if #others > 0 then
        local parts = {}
        for _, status in ipairs(others) do
            table.insert(parts, string.format("%d=%d", status, total[status]))
        end
        io.write("STATUS_OTHER " .. table.concat(parts, " ") .. "\n")
    end

    -- wrk keeps latencies in microseconds.
    local function ms(us)
        return us / 1000.0
    end
    io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f\n",
        ms(latency:percentile(50)), ms(latency:percentile(90)),
        ms(latency:percentile(99)), ms(latency.max), ms(latency.mean)))

    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "REQUESTS total=%d seconds=%.3f rps=%.1f connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
        summary.requests, seconds, seconds > 0 and summary.requests / seconds or 0,
        e.connect, e.read, e.write, e.timeout))
end
