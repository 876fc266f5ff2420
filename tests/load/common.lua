-- What the wrk scripts of tests/load share: the table and its row count from
-- the environment, a random seed per thread, and the LATENCY and REQUESTS
-- lines that tests/load/run parses. Loaded with dofile() from the directory
-- of the script that uses it, in wrk's main Lua state and in each thread's.

local M = {}

-- TABLE (default gold.customer_features) and N (default 1000000); ids are
-- drawn from 1..N*1.01, so about 1 % have no row.
function M.settings()
    local table_name = os.getenv("TABLE") or "gold.customer_features"
    local rows = tonumber(os.getenv("N") or "1000000")
    if rows == nil or rows < 1 then
        error("N must be a positive number, got " .. tostring(os.getenv("N")))
    end
    return table_name, rows, math.floor(rows * 1.01)
end

-- setup() for the main state: numbers the threads and keeps them in list,
-- so that done() can read their counters with thread:get.
function M.keep_threads(list)
    return function(thread)
        thread:set("thread_no", #list + 1)
        table.insert(list, thread)
    end
end

-- Seeds this thread's generator. os.time() alone would give both threads of
-- one run the same sequence; the thread number and the address of a fresh
-- table tell them apart. LuaJIT's first draws after a seed are poorly
-- spread, so some are thrown away.
function M.seed(thread_no)
    local salt = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
    math.randomseed(os.time() * 1000 + thread_no * 7919 + salt % 100003)
    for _ = 1, 10 do
        math.random()
    end
end

-- The LATENCY line (wrk keeps microseconds; this prints milliseconds) and
-- the REQUESTS line, with extra ("name=value ...", may be "") after rps.
function M.report(summary, latency, extra)
    local function ms(us)
        return us / 1000.0
    end
    io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f\n",
        ms(latency:percentile(50)), ms(latency:percentile(90)),
        ms(latency:percentile(99)), ms(latency.max), ms(latency.mean)))
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "REQUESTS total=%d seconds=%.3f rps=%.1f %sconnect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
        summary.requests, seconds, seconds > 0 and summary.requests / seconds or 0,
        extra ~= "" and extra .. " " or "", e.connect, e.read, e.write, e.timeout))
end

return M
