-- bench/acked.lua - what the write benchmarks' wrk scripts share
-- (write.lua, matter.lua): they dofile() it, having set 'ack_pattern', the
-- Lua pattern that captures the key of a created record from a 201 reply.
--
-- Every 201 reply's key is kept; at the end the keys go to the file
-- BENCH_ACKED (one a line), so the caller can check that every acknowledged
-- write is in the database, and one line is printed:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N
--         connect=N read=N write=N timeout=N status=N acked=N first_error=...
-- (rps counts every reply; status = replies that were not 2xx or 3xx).

local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
end

-- The state of one wrk thread; the script's init() calls it first.
function acked_init()
    math.randomseed(os.time() + 7919 * (tid or 1))
    counter = 0
    acked = {}
    nacked = 0
    first_error = ""
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function response(status, headers, body)
    if status == 201 then
        local key = body:match(ack_pattern)
        if key then
            nacked = nacked + 1
            acked[nacked] = key
        elseif first_error == "" then
            first_error = "201 without a key: " .. body:sub(1, 200)
        end
    elseif first_error == "" then
        first_error = status .. " " .. (body or ""):sub(1, 200)
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    local total, errtext = 0, ""
    local out = io.open(os.getenv("BENCH_ACKED") or "/dev/null", "w")
    for _, t in ipairs(threads) do
        local keys = t:get("acked")
        local n = t:get("nacked")
        for i = 1, n do
            out:write(keys[i], "\n")
        end
        total = total + n
        local fe = t:get("first_error")
        if errtext == "" and fe and fe ~= "" then
            errtext = fe
        end
    end
    out:close()
    io.write(string.format(
        "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d " ..
        "connect=%d read=%d write=%d timeout=%d status=%d acked=%d first_error=%s\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status, total,
        (errtext:gsub("[%s]", "_"))))
end
