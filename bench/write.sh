#!/usr/bin/env bash
# bench/write.sh - durable write throughput: group commit against one
# transaction a write, side by side in one run.
#
# wrk (-t1, 64 keep-alive connections, loopback) sends POST /api/v1/units,
# each a new unit (unit insert + audit-log append + event row in one unit of
# work), to two fresh servers on two fresh databases:
#   - fazhi serve --max-batch 1   every write its own transaction and fsync,
#   - fazhi serve                 group commit (up to 256 waiting writes in
#                                 one durable transaction, the default).
# Both run with synchronous=FULL: a 201 is sent only after its write is on
# disk. Prints writes/s, p99 latency and the ratio group/single, and checks
# the target of issue 2 (group commit >= 3x). After each run the server is
# stopped and the database is checked: every unit code wrk saw acknowledged
# with a 201 must be in it, and the audit log's hash chain must verify.
#
# Exit status: 0 target met and every check passed; 1 otherwise.
#
# Environment: DURATION (wrk -d, default 10s), CONNS (default 64), THREADS
# (fazhi worker threads, default 2), BENCH_DIR (where the databases go,
# default build/ - a real disk, not tmpfs), KEEP=1 keeps the work directory.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-64}

prepare "${BENCH_DIR:-$REPO/build}"
fstype=$(findmnt -n -o FSTYPE --target "$WORK" 2>/dev/null || stat -f -c %T "$WORK")
case $fstype in
tmpfs | ramfs) say "bench: WARNING $WORK is on $fstype: fsync costs nothing there, the numbers say nothing about durability" ;;
esac

IDLE_BUSY=$(quiet_check)

# run_mode NAME [serve flags...]: one fresh database and server, one wrk run,
# the checks; sets RESULT to "writes_per_s|p50_ms|p99_ms|errors|acked|in_db|missing".
run_mode() {
    local name=$1 db=$WORK/$1.db token port url line code before
    shift
    ERRS=0
    token=$(new_db "$db")
    port=$(free_port)
    start_fazhi "$db" "$port" "$WORK/$name.log" "$@"
    url=http://127.0.0.1:$port
    code=$(curl -s -o "$WORK/probe.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data '{"code":"probe","name":"压测单位","type":"department","parent_id":1}' \
        "$url/api/v1/units")
    [ "$code" = 201 ] || die "$name: probe POST /api/v1/units answered $code: $(cat "$WORK/probe.json")"
    before=$(sqlite3 "$db" 'SELECT count(*) FROM units')

    say "bench: $name: wrk -t1 -c$CONNS -d$DURATION POST /api/v1/units (fazhi serve $*)"
    line=$(BENCH_TOKEN=$token BENCH_ACKED=$WORK/$name.acked \
        run_wrk "$CONNS" "$url/api/v1/units" "$BENCH/write.lua")
    alive fazhi "$FAZHI_PID" "$url/healthz"
    stop_pid "$FAZHI_PID" || {
        say "bench: $name: fazhi did not stop cleanly"
        ERRS=$((ERRS + 1))
    }
    log_problems "$WORK/$name.log"

    check_acked "$name" "$db" units "$CONNS" "$before" "$line"
}

run_mode single --max-batch 1
single=$RESULT
run_mode group
group=$RESULT

IFS='|' read -r s_wps s_p50 s_p99 s_err s_ack s_db s_miss <<<"$single"
IFS='|' read -r g_wps g_p50 g_p99 g_err g_ack g_db g_miss <<<"$group"
ratio=$(awk -v a="$g_wps" -v b="$s_wps" 'BEGIN { printf "%.2f", a / b }')

printf '\nbench/write.sh: wrk -t1 -c%s -d%s, POST /api/v1/units (unit + audit + event), 127.0.0.1, %s cores\n' \
    "$CONNS" "$DURATION" "$(nproc)"
printf 'fazhi --threads %s, synchronous=FULL, database on %s (%s); CPUs %s%% busy before the runs\n\n' \
    "$THREADS" "$WORK" "$fstype" "$IDLE_BUSY"
printf '%-30s %10s %9s %9s %7s %9s %9s %8s\n' mode "writes/s" "p50 ms" "p99 ms" errors "201s" "new rows" missing
printf '%-30s %10.0f %9s %9s %7s %9s %9s %8s\n' "one transaction a write" "$s_wps" "$s_p50" "$s_p99" \
    "$s_err" "$s_ack" "$s_db" "$s_miss"
printf '%-30s %10.0f %9s %9s %7s %9s %9s %8s\n' "group commit (default)" "$g_wps" "$g_p50" "$g_p99" \
    "$g_err" "$g_ack" "$g_db" "$g_miss"
printf '\ngroup/single = %s\n' "$ratio"
printf 'every acknowledged write in the database: %s\n' \
    "$([ "$s_miss" -eq 0 ] && [ "$g_miss" -eq 0 ] && echo yes || echo NO)"

fail=0
[ "$s_err" -eq 0 ] && [ "$g_err" -eq 0 ] || fail=1
printf '\ntarget (issue 2): group commit >= 3x one transaction a write\n'
if awk -v r="$ratio" 'BEGIN { exit !(r >= 3) }'; then
    printf '  group/single = %s >= 3.00: met\n' "$ratio"
else
    printf '  group/single = %s < 3.00: NOT MET\n' "$ratio"
    fail=1
fi
[ "$fail" -eq 0 ] || say "bench: errors or target missed (KEEP=1 keeps the logs and wrk output)"
exit "$fail"
