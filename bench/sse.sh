#!/usr/bin/env bash
# bench/sse.sh - 1,000 Server-Sent Events subscribers of residents' tracking
# pages, and the time each takes to receive a state change.
#
# One server on a fresh database; MATTERS resident submissions (POST
# /api/v1/matters). bench/sse_client.c (built here with the project's flags)
# opens SUBS connections to GET /api/v1/track/{code}/events and STAFF to the
# staff stream GET /api/v1/events (an admin API token), non-blocking in one
# epoll loop, then takes four transitions of each matter through the staff
# API (accept, assign, start, resolve), one at a time. For each change the
# clock starts just before the POST is written - earlier than the commit, so
# an upper bound - and stops at each subscriber's read of its event
# (matter.changed on a tracking stream, case.matter.<transition> on the
# staff one). Two layouts in the same run: the subscribers spread over
# MATTERS matters (SUBS/MATTERS each), then all on one matter.
#
# The reference, in the same run on the same machine: the POST's own
# acknowledgement time, and the round trip of GET /healthz on a new
# connection (median of 200).
#
# Target: every subscriber receives every change, p99 <= 100 ms.
# Exit status: 0 target met and no error; 1 otherwise.
#
# Environment: SUBS (default 1000), STAFF (default 50), MATTERS (default 10),
# THREADS (default 2), KEEP=1 keeps the work directory.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SUBS=${SUBS:-1000}
STAFF=${STAFF:-50}
MATTERS=${MATTERS:-10}
TARGET_MS=100

prepare "${BENCH_DIR:-$REPO/build}"
# Each subscriber is a socket here and one in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge $((SUBS + STAFF + 64)) ] ||
    die "the open-file limit $(ulimit -n) is below $((SUBS + STAFF + 64)); raise it (ulimit -n)"

CLIENT=$REPO/build/bench/sse_client
mkdir -p "$(dirname "$CLIENT")"
say "bench: building $CLIENT"
# shellcheck disable=SC2086 # the flags are words
cc -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -Werror -O2 \
    -I"$REPO/src" -o "$CLIENT" "$BENCH/sse_client.c" || die "sse_client did not build"

IDLE_BUSY=$(quiet_check)

db=$WORK/sse.db
token=$(new_db "$db")
bench_unit "$db" c1 社区1 community
unit=$(sqlite3 "$db" "SELECT id FROM units WHERE code = 'c1'")
port=$(free_port)
start_fazhi "$db" "$port" "$WORK/sse.log"
url=http://127.0.0.1:$port

# submit N FILE: N fresh matters; their codes and ids, oldest first, into FILE.codes/.ids.
submit() {
    local n=$1 out=$2 i code
    : >"$out.codes"
    for i in $(seq "$n"); do
        code=$(curl -s -X POST -H 'Content-Type: application/json' \
            --data "{\"type\":\"complaint\",\"description\":\"订阅压测事项$i\",\"phone\":\"13900000000\",\"attributes\":{\"category\":\"other\"}}" \
            "$url/api/v1/matters" | sed -n 's/^{"code": *"\(CX-[^"]*\)".*/\1/p')
        [ -n "$code" ] || die "submission $i refused"
        printf '%s\n' "$code" >>"$out.codes"
    done
    while read -r code; do
        sqlite3 "$db" "SELECT case_id FROM matters WHERE code = '$code'"
    done <"$out.codes" >"$out.ids"
}

# layout NAME PER_MATTER: one client run; sets LINE.
layout() {
    local name=$1 per=$2
    submit "$per" "$WORK/$name"
    say "bench: $name: $SUBS tracking subscribers over $per matter(s), $STAFF staff subscribers"
    LINE=$("$CLIENT" --port "$port" --token "$token" --codes "$WORK/$name.codes" \
        --ids "$WORK/$name.ids" --unit "$unit" --subs "$SUBS" --staff "$STAFF" \
        --per-matter "$per") || {
        say "bench: $name: the client failed: $LINE"
        LINE="$LINE failed=1"
    }
    alive fazhi "$FAZHI_PID" "$url/healthz"
    printf '== %s\n%s\n' "$name" "$LINE" >>"$WORK/client.log"
}

layout spread "$MATTERS"
spread=$LINE
layout one 1
one=$LINE
stop_pid "$FAZHI_PID" || die "fazhi did not stop cleanly"
log_problems "$WORK/sse.log"

printf '\nbench/sse.sh: %s tracking subscribers (GET /api/v1/track/{code}/events) + %s staff (GET /api/v1/events), 127.0.0.1, %s cores\n' \
    "$SUBS" "$STAFF" "$(nproc)"
printf 'fazhi --threads %s; each change is a POST /api/v1/matters/{id}/actions/{accept|assign|start|resolve}, timed from just before it is sent; CPUs %s%% busy before\n\n' \
    "$THREADS" "$IDLE_BUSY"
printf '%-24s %8s %11s %8s %8s %8s %8s %10s %10s %9s %11s\n' layout changes deliveries missing "p50 ms" "p99 ms" "max ms" "staff p99" "POST ack" "healthz" "connect ms"
fail=0
for l in "spread:$spread" "one:$one"; do
    name=${l%%:*}
    line=${l#*:}
    [ -n "$(field "$line" p99_ms)" ] || {
        fail=1
        continue
    }
    printf '%-24s %8s %11s %8s %8s %8s %8s %10s %10s %9s %11s\n' \
        "$name ($(field "$line" matters) matters)" "$(field "$line" changes)" \
        "$(field "$line" deliveries)" "$(field "$line" missing)" "$(field "$line" p50_ms)" \
        "$(field "$line" p99_ms)" "$(field "$line" max_ms)" "$(field "$line" staff_p99_ms)" \
        "$(field "$line" ack_p50_ms)" "$(field "$line" healthz_p50_ms)" "$(field "$line" connect_ms)"
    [ "$(field "$line" missing)" -eq 0 ] || fail=1
    awk -v p="$(field "$line" p99_ms)" -v t="$TARGET_MS" 'BEGIN { exit !(p <= t) }' || fail=1
done
printf '\n(POST ack: p50 of the staff POST acknowledgements; healthz: p50 round trip of GET /healthz on a new connection)\n'
printf 'target: every subscriber receives every change, p99 <= %s ms after the POST: %s\n' \
    "$TARGET_MS" "$([ "$fail" -eq 0 ] && echo met || echo NOT MET)"
exit "$fail"
