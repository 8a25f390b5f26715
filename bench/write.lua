-- bench/write.lua - wrk script for bench/write.sh: durable writes.
--
-- Every request is POST /api/v1/units with a new unit code (per wrk thread a
-- random prefix and a counter, at most 32 characters), authenticated with
-- BENCH_TOKEN. The acknowledged codes and the BENCH line: bench/acked.lua.

ack_pattern = '"code"%s*:%s*"([^"]*)"'
dofile(os.getenv("BENCH_LUA") .. "/acked.lua")

function init(args)
    acked_init()
    prefix = string.format("w%d-%06d-", tid or 1, math.random(0, 999999))
    wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"code":"%s%d","name":"压测单位","type":"department","parent_id":1}',
        prefix, counter)
    return wrk.format(nil, nil, nil, body)
end
