# shellcheck shell=bash
# bench/lib.sh - shared steps of the benchmark scripts (sourced, not run).
#
# Everything here binds loopback addresses only, keeps its files in one
# work directory ($WORK) and stops exactly the processes it started, by PID.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH=$REPO/bench
FAZHI=$REPO/build/rel/fazhi
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2} # fazhi worker threads (the machine has 2 cores)

WORK=""
PIDS=() # every server started, stopped on exit

say() { printf '%s\n' "$*" >&2; }
die() {
    say "bench: $*"
    exit 1
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [ -n "$WORK" ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$WORK"
    elif [ -n "$WORK" ]; then
        say "bench: kept $WORK"
    fi
}

# Installs wrk and nginx, builds the optimised program, makes $WORK in $1.
prepare() {
    local parent=$1
    "$REPO/scripts/deps.sh" bench
    command -v wrk >/dev/null || die "wrk missing after scripts/deps.sh bench"
    say "bench: building build/rel/fazhi"
    make -s -C "$REPO" build/rel/fazhi >&2 || die "build failed"
    mkdir -p "$parent"
    WORK=$(mktemp -d "$parent/fazhi-bench.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# A loopback TCP port nobody listens on right now.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Waits until URL answers (any HTTP status), at most 10 s.
wait_http() {
    local url=$1
    for _ in $(seq 100); do
        if curl -s -o /dev/null --max-time 1 "$url"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# new_db DB: a database with a root unit and an admin API token; prints the token.
new_db() {
    local db=$1 out
    FAZHI_LOG_LEVEL=warn "$FAZHI" unit add --db "$db" --code root --name 测试街道 \
        --type subdistrict >/dev/null || die "unit add failed"
    printf 'bench-password-1234\n' | FAZHI_LOG_LEVEL=warn "$FAZHI" user add admin --db "$db" \
        --unit root --role admin --password-stdin >/dev/null || die "user add failed"
    out=$(FAZHI_LOG_LEVEL=warn "$FAZHI" apikey add bench --db "$db" --role admin --unit root) ||
        die "apikey add failed"
    printf '%s\n' "$out" | tail -n 1
}

# bench_units DB: the 25 units of the benchmark subdistrict under root: 4
# departments (dept1..), 7 stations (st1..), 12 communities (c1..) and 3
# villages (v1..).
bench_units() {
    local db=$1 i
    for i in 1 2 3 4; do bench_unit "$db" "dept$i" "部门$i" department; done
    for i in 1 2 3 4 5 6 7; do bench_unit "$db" "st$i" "劝导站$i" station; done
    for i in $(seq 12); do bench_unit "$db" "c$i" "社区$i" community; done
    for i in 1 2 3; do bench_unit "$db" "v$i" "村$i" village; done
}

# bench_unit DB CODE NAME TYPE: one unit under root.
bench_unit() {
    FAZHI_LOG_LEVEL=warn "$FAZHI" unit add --db "$1" --code "$2" --name "$3" --type "$4" \
        --parent root >/dev/null || die "unit add $2 failed"
}

# gen_entries DB COUNT FIRST_DAY DAYS: COUNT ledger entries with their counter
# values, written by sqlite3 straight into the tables (not through fazhi: the
# write path is not what the benchmarks measure; run `fazhi ledger rebuild`
# afterwards for the roll-up). The entries go round every (kind, unit) pair
# of the catalog and the units that exist now, in turn, so each pair gets as
# many as any other; entry i is dated FIRST_DAY + (i * 7919) % DAYS days,
# which spreads them evenly over the DAYS days. Each value is below its
# counter's bound.
gen_entries() {
    local db=$1 count=$2 first=$3 days=$4
    sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
CREATE TEMP TABLE pairs (n INTEGER PRIMARY KEY, kind TEXT, unit_id INTEGER);
INSERT INTO pairs (n, kind, unit_id)
    SELECT row_number() OVER (ORDER BY k.code, u.id) - 1, k.code, u.id
    FROM ledger_kinds k, json_each(k.unit_types) t JOIN units u ON u.type = t.value;
CREATE TEMP TABLE first (id INTEGER);
INSERT INTO first SELECT COALESCE(MAX(id), 0) FROM ledger_entries;
BEGIN;
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $count - 1)
INSERT INTO ledger_entries (kind, unit_id, date, title, place, notes, version, created_by,
                            created_at_ms, updated_by, updated_at_ms)
SELECT p.kind, p.unit_id, date('$first', '+' || ((i * 7919) % $days) || ' days'),
       '压测记录 ' || i, '', '', 1, 'bench', 0, 'bench', 0
FROM seq JOIN pairs p ON p.n = seq.i % (SELECT COUNT(*) FROM pairs);
INSERT INTO ledger_values (entry_id, counter, value)
SELECT e.id, json_extract(c.value, '$.code'),
       (e.id * 7 + c.key * 13) % (COALESCE(json_extract(c.value, '$.max'), 1000) + 1)
FROM ledger_entries e JOIN ledger_kinds k ON k.code = e.kind, json_each(k.counters) c
WHERE e.id > (SELECT id FROM first);
COMMIT;
SQL
}

# start_fazhi DB PORT LOG [extra serve flags...]: starts the server, sets FAZHI_PID.
start_fazhi() {
    local db=$1 port=$2 log=$3
    shift 3
    "$FAZHI" serve --db "$db" --listen "127.0.0.1:$port" --threads "$THREADS" \
        --log-level warn "$@" 2>"$log" &
    FAZHI_PID=$!
    PIDS+=("$FAZHI_PID")
    wait_http "http://127.0.0.1:$port/healthz" || {
        cat "$log" >&2
        die "fazhi did not answer on 127.0.0.1:$port"
    }
}

# stop_pid PID: SIGTERM, wait for it (at most 10 s), forget it. Fails if it
# had to be killed or it exited with an error.
stop_pid() {
    local pid=$1 rc=0 p keep=()
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "bench: PID $pid did not stop within 10 s of SIGTERM, killing it"
        kill -KILL "$pid" 2>/dev/null || true
        rc=1
    fi
    wait "$pid" 2>/dev/null || rc=$?
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    PIDS=("${keep[@]+"${keep[@]}"}")
    return "$rc"
}

# alive NAME PID URL: the process still runs and answers URL within 2 s.
alive() {
    local name=$1 pid=$2 url=$3
    kill -0 "$pid" 2>/dev/null || die "$name (PID $pid) is gone"
    curl -s -o /dev/null --max-time 2 "$url" || die "$name (PID $pid) does not answer $url (stalled?)"
}

# run_wrk CONNS URL SCRIPT [wrk args...]: one wrk run (-t1: wrk shares the two
# cores with the server); prints the "BENCH k=v ..." line the Lua script's
# done() writes. The full wrk output goes to $WORK/wrk.log.
run_wrk() {
    local conns=$1 url=$2 script=$3 out
    shift 3
    out=$(BENCH_LUA=$BENCH wrk -t1 -c"$conns" -d"$DURATION" --timeout 5s -s "$script" "$@" "$url") ||
        die "wrk failed against $url"
    printf '== wrk -t1 -c%s -d%s %s\n%s\n' "$conns" "$DURATION" "$url" "$out" >>"$WORK/wrk.log"
    printf '%s\n' "$out" | grep '^BENCH ' || die "no BENCH line from wrk (see $WORK/wrk.log)"
}

# check_acked NAME DB TABLE CONNS BEFORE LINE: after a write run of wrk (LINE,
# its BENCH line; the acknowledged keys in $WORK/NAME.acked) and a clean stop
# of the server, checks that every acknowledged key is in TABLE's column
# `code`, that no more than CONNS rows (in flight when wrk stopped) came
# without their reply, that the audit chain verifies and that wrk saw no
# error. Adds the faults to ERRS and sets RESULT to
# "per_s|p50_ms|p99_ms|errors|acked|new rows|missing".
check_acked() {
    local name=$1 db=$2 table=$3 conns=$4 before=$5 line=$6 after acked missing extra dur
    after=$(sqlite3 "$db" "SELECT count(*) FROM $table")
    acked=$(field "$line" acked)
    [ "$(wc -l <"$WORK/$name.acked")" -eq "$acked" ] || die "$name: acked file and count differ"
    missing=$(sqlite3 :memory: "ATTACH 'file:$db?mode=ro' AS d" 'CREATE TABLE acked (code TEXT)' \
        ".import $WORK/$name.acked acked" \
        "SELECT count(*) FROM acked WHERE code NOT IN (SELECT code FROM d.$table)")
    extra=$((after - before - acked))
    if [ "$missing" -ne 0 ]; then
        say "bench: $name: $missing acknowledged write(s) NOT in the database"
        ERRS=$((ERRS + missing))
    fi
    if [ "$extra" -lt 0 ] || [ "$extra" -gt "$conns" ]; then
        say "bench: $name: $((after - before)) new rows in $table for $acked acknowledged writes"
        ERRS=$((ERRS + 1))
    fi
    if ! FAZHI_LOG_LEVEL=warn "$FAZHI" audit verify --db "$db" >"$WORK/$name.verify" 2>&1; then
        say "bench: $name: audit verify failed: $(cat "$WORK/$name.verify")"
        ERRS=$((ERRS + 1))
    fi
    if [ "$(errors "$line")" -ne 0 ]; then
        say "bench: $name: wrk errors: $line"
        ERRS=$((ERRS + $(errors "$line")))
    fi
    dur=$(field "$line" duration_us)
    RESULT="$(awk -v n="$acked" -v d="$dur" 'BEGIN { printf "%.1f", n / (d / 1e6) }')"
    RESULT="$RESULT|$(awk -v u="$(field "$line" p50_us)" 'BEGIN { printf "%.2f", u / 1000 }')"
    RESULT="$RESULT|$(awk -v u="$(field "$line" p99_us)" 'BEGIN { printf "%.2f", u / 1000 }')"
    RESULT="$RESULT|$ERRS|$acked|$((after - before))|$missing"
}

# field LINE KEY: the value of KEY=... in a BENCH line.
field() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# errors LINE: the sum of socket errors, timeouts and non-2xx/3xx replies.
errors() {
    local l=$1
    echo $(($(field "$l" connect) + $(field "$l" read) + $(field "$l" write) + \
        $(field "$l" timeout) + $(field "$l" status)))
}

# log_problems LOG: prints the warnings and errors a server logged (at most 10).
log_problems() {
    local log=$1 n
    n=$(grep -c . "$log" || true)
    if [ "$n" -gt 0 ]; then
        say "bench: $log has $n line(s); the first ones:"
        head -n 10 "$log" >&2
    fi
    return 0
}

# thread_cpu PID: "tid:ticks ..." of the process's libmicrohttpd worker
# threads (user + system clock ticks so far).
thread_cpu() {
    local pid=$1 t
    for t in /proc/"$pid"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = MHD-worker ] || continue
        awk -v t="${t##*/}" '{ printf "%s:%d ", t, $14 + $15 }' "$t/stat" 2>/dev/null || true
    done
}

# thread_split BEFORE AFTER: how the CPU time between two thread_cpu
# snapshots divided among the worker threads, in percent ("71/29"), and the
# cores they used in all over DURATION_S seconds ("71/29 of 0.93 cores").
thread_split() {
    awk -v a="$1" -v b="$2" -v d="${3:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, ":"); before[kv[1]] = kv[2] }
        m = split(b, y, " "); total = 0
        for (i = 1; i <= m; i++) { split(y[i], kv, ":"); use[i] = kv[2] - before[kv[1]]; total += use[i] }
        s = ""
        for (i = 1; i <= m; i++) s = s (i > 1 ? "/" : "") (total ? int(100 * use[i] / total + 0.5) : 0)
        if (d > 0) s = s sprintf(" of %.2f cores", total / hz / d)
        print s
    }'
}

# quiet_check: warns when something else keeps the CPUs busy (the numbers
# of a benchmark sharing the machine with other work mean little). Samples
# /proc/stat over one second; prints the busy percentage.
quiet_check() {
    local a b busy
    a=$(head -n 1 /proc/stat)
    sleep 1
    b=$(head -n 1 /proc/stat)
    busy=$(awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); t = 0; idle = 0
        for (i = 2; i <= n; i++) { d = y[i] - x[i]; t += d; if (i == 5 || i == 6) idle += d }
        printf "%d", t ? 100 * (t - idle) / t : 0 }')
    if [ "$busy" -gt 10 ]; then
        say "bench: WARNING the CPUs are ${busy}% busy before the benchmark starts; busiest processes:"
        ps -eo pid,pcpu,comm --sort=-pcpu | sed -n '2,6p' >&2
    fi
    echo "$busy"
}
