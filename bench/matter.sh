#!/usr/bin/env bash
# bench/matter.sh - residents' matter submissions accepted per second, each
# durable before its 201, against one transaction a write, in one run.
#
# wrk (-t1, loopback) sends anonymous POST /api/v1/matters (bench/matter.lua:
# a complaint with description, address, mobile and its required attribute;
# each submission validates, opens a case, writes the matter, its history,
# audit entry and three events in one unit of work) for DURATION at each of
# CONNS connections, to a fresh server on a fresh database each time:
#   - fazhi serve --max-batch 1   every submission its own transaction and fsync,
#   - fazhi serve                 group commit (the default).
# Both with synchronous=FULL. Prints submissions/s and latency, and checks
# the target: >= 1,000 accepted submissions a second with group commit at
# every connection count. After each run the server is stopped and the
# database checked: every tracking code wrk saw acknowledged with a 201 is
# in it (201s against rows), and the audit chain verifies.
#
# Exit status: 0 target met and every check passed; 1 otherwise.
#
# Environment: DURATION (default 10s), CONNS (default "64 256"), THREADS
# (fazhi worker threads, default 2), BENCH_DIR (databases, default build/ -
# a real disk, not tmpfs), KEEP=1 keeps the work directory.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-"64 256"}
TARGET=1000

prepare "${BENCH_DIR:-$REPO/build}"
fstype=$(findmnt -n -o FSTYPE --target "$WORK" 2>/dev/null || stat -f -c %T "$WORK")
case $fstype in
tmpfs | ramfs) say "bench: WARNING $WORK is on $fstype: fsync costs nothing there, the numbers say nothing about durability" ;;
esac

IDLE_BUSY=$(quiet_check)

# run_mode NAME CONNS [serve flags...]: a fresh database and server, one wrk
# run, the checks; sets RESULT to "per_s|p50_ms|p99_ms|errors|acked|rows|missing".
run_mode() {
    local name=$1 conns=$2 db=$WORK/$1.db port url line code before
    shift 2
    ERRS=0
    new_db "$db" >/dev/null
    port=$(free_port)
    # All the load comes from one address: no per-address submission limit.
    start_fazhi "$db" "$port" "$WORK/$name.log" --submit-limit 0 "$@"
    url=http://127.0.0.1:$port
    code=$(curl -s -o "$WORK/probe.json" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' \
        --data '{"type":"complaint","description":"探测事项","phone":"13900000000","attributes":{"category":"other"}}' \
        "$url/api/v1/matters")
    [ "$code" = 201 ] || die "$name: probe POST /api/v1/matters answered $code: $(cat "$WORK/probe.json")"
    before=$(sqlite3 "$db" 'SELECT count(*) FROM matters')

    say "bench: $name: wrk -t1 -c$conns -d$DURATION POST /api/v1/matters (fazhi serve $*)"
    line=$(BENCH_ACKED=$WORK/$name.acked run_wrk "$conns" "$url/api/v1/matters" "$BENCH/matter.lua")
    alive fazhi "$FAZHI_PID" "$url/healthz"
    stop_pid "$FAZHI_PID" || {
        say "bench: $name: fazhi did not stop cleanly"
        ERRS=$((ERRS + 1))
    }
    log_problems "$WORK/$name.log"

    check_acked "$name" "$db" matters "$conns" "$before" "$line"
    rm -f "$db" "$db-wal" "$db-shm"
}

rows=()
fail=0
met=1
for c in $CONNS; do
    run_mode "single-c$c" "$c" --max-batch 1
    rows+=("one transaction a write|$c|$RESULT")
    run_mode "group-c$c" "$c"
    rows+=("group commit (default)|$c|$RESULT")
done

printf '\nbench/matter.sh: wrk -t1 -d%s, anonymous POST /api/v1/matters (case + matter + history + audit + 3 events), 127.0.0.1, %s cores\n' \
    "$DURATION" "$(nproc)"
printf 'fazhi --threads %s, synchronous=FULL, database on %s (%s); CPUs %s%% busy before the runs\n\n' \
    "$THREADS" "$WORK" "$fstype" "$IDLE_BUSY"
printf '%-26s %6s %14s %9s %9s %7s %9s %9s %8s\n' mode conns "submissions/s" "p50 ms" "p99 ms" errors "201s" "new rows" missing
for r in "${rows[@]}"; do
    IFS='|' read -r mode c per_s p50 p99 errs acked new miss <<<"$r"
    printf '%-26s %6s %14.0f %9s %9s %7s %9s %9s %8s\n' "$mode" "$c" "$per_s" "$p50" "$p99" "$errs" "$acked" "$new" "$miss"
    [ "$errs" -eq 0 ] || fail=1
    case $mode in
    group*) awk -v r="$per_s" -v t="$TARGET" 'BEGIN { exit !(r >= t) }' || met=0 ;;
    esac
done
printf '\ntarget: >= %s durable submissions a second with group commit, at every connection count: %s\n' \
    "$TARGET" "$([ "$met" -eq 1 ] && echo met || echo NOT MET)"
[ "$met" -eq 1 ] || fail=1
[ "$fail" -eq 0 ] || say "bench: errors or target missed (KEEP=1 keeps the logs and wrk output)"
exit "$fail"
