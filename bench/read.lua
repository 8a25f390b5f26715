-- bench/read.lua - wrk script for the read benchmarks of bench/http.sh.
--
-- GET of the URL given to wrk; with BENCH_TOKEN in the environment every
-- request carries "Authorization: Bearer <token>". At the end it prints one
-- machine-readable line:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N
--         connect=N read=N write=N timeout=N status=N
-- (status = replies that were not 2xx or 3xx).

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d " ..
        "connect=%d read=%d write=%d timeout=%d status=%d\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status))
end
