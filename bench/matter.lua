-- bench/matter.lua - wrk script for bench/matter.sh: residents' submissions.
--
-- Every request is an anonymous POST /api/v1/matters (no account, as a
-- resident of the APP): a complaint with a description, an address and a
-- mobile number that vary with a counter. Every 201 reply's tracking code is
-- kept; at the end the codes go to the file BENCH_ACKED (one a line), so the
-- caller can check that every acknowledged submission is in the database,
-- and one line is printed:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N
--         connect=N read=N write=N timeout=N status=N acked=N first_error=...
-- (status = replies that were not 2xx or 3xx).

local threads = {}

local categories = {"sanitation", "street_vending", "parking", "noise", "facility", "other"}
local what = {"垃圾桶满溢没人清运", "门口占道经营", "消防通道被车堵住", "夜间施工噪声扰民",
              "路灯不亮", "绿化带被毁"}

function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
end

function init(args)
    math.randomseed(os.time() + 7919 * (tid or 1))
    counter = 0
    acked = {}
    nacked = 0
    first_error = ""
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    local k = counter % #categories + 1
    local body = string.format(
        '{"type":"complaint","description":"压测事项%d-%d：%s，请尽快处理。",' ..
        '"address":"城西社区文昌路%d号","phone":"1390000%04d",' ..
        '"attributes":{"category":"%s"}}',
        tid or 1, counter, what[k], counter % 200 + 1, counter % 10000, categories[k])
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    if status == 201 then
        local code = body:match('"code"%s*:%s*"(CX%-[^"]*)"')
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
