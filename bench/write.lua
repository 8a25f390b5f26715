-- bench/write.lua - wrk script for bench/write.sh: durable writes.
--
-- Every request is POST /api/v1/units with a new unit code (per wrk thread a
-- random prefix and a counter, at most 32 characters), authenticated with
-- BENCH_TOKEN. Every 201 reply's unit code is kept; at the end the codes go
-- to the file BENCH_ACKED (one a line), so the caller can check that every
-- acknowledged write is in the database, and one line is printed:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N
--         connect=N read=N write=N timeout=N status=N acked=N first_error=...
-- (rps counts every reply; status = replies that were not 2xx or 3xx).

local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
end

function init(args)
    math.randomseed(os.time() + 7919 * (tid or 1))
    prefix = string.format("w%d-%06d-", tid or 1, math.random(0, 999999))
    counter = 0
    acked = {}
    nacked = 0
    first_error = ""
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"code":"%s%d","name":"压测单位","type":"department","parent_id":1}',
        prefix, counter)
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    if status == 201 then
        local code = body:match('"code"%s*:%s*"([^"]*)"')
        if code then
            nacked = nacked + 1
            acked[nacked] = code
        elseif first_error == "" then
            first_error = "201 without a code: " .. body:sub(1, 200)
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
        local codes = t:get("acked")
        local n = t:get("nacked")
        for i = 1, n do
            out:write(codes[i], "\n")
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
