-- bench/matter.lua - wrk script for bench/matter.sh: residents' submissions.
--
-- Every request is an anonymous POST /api/v1/matters (no account, as a
-- resident of the APP): a complaint with a description, an address and a
-- mobile number that vary with a counter. The acknowledged tracking codes and
-- the BENCH line: bench/acked.lua.

ack_pattern = '"code"%s*:%s*"(CX%-[^"]*)"'
dofile(os.getenv("BENCH_LUA") .. "/acked.lua")

local categories = {"sanitation", "street_vending", "parking", "noise", "facility", "other"}
local what = {"垃圾桶满溢没人清运", "门口占道经营", "消防通道被车堵住", "夜间施工噪声扰民",
              "路灯不亮", "绿化带被毁"}

function init(args)
    acked_init()
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
