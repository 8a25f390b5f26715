#!/usr/bin/env bash
# bench/ledger.sh - ledger totals over a million entries: the roll-up against
# a plain SUM over the entries, side by side in one run.
#
# Builds a database with one subdistrict (26 units: departments, stations,
# communities, villages), the shipped catalog, ENTRIES entries dated in 2022
# (default 1,000,000) spread over every unit and every kind its type records,
# their counter values, and a tenth as many entries in 2021. The rows are
# generated with sqlite3 (gen_entries in bench/lib.sh; the write path is not
# what this measures), then `fazhi ledger rebuild` computes the roll-up tables
# from them, as it would after a restore. Then fazhi serve answers, ROUNDS
# times each (default 20):
#
#   GET /api/v1/ledger/totals?year=2022                      roll-up, every kind
#   GET /api/v1/ledger/totals?year=2022&kind=traffic.patrol  roll-up, one kind
#   GET /api/v1/ledger/totals?from=2022-03-15&to=2022-11-20  roll-up, partial months
#   the same three with &source=detail                       the reference: SUM over
#                                                            ledger_entries x ledger_values
#
# and checks that each roll-up answer equals its reference. The target of
# issue 3: the year's totals in under 100 ms (median). The times are curl's
# time_total on loopback: the whole request.
#
# Exit status: 0 target met and the answers agree; 1 otherwise.
#
# Environment: ENTRIES (default 1000000), ROUNDS (default 20; the reference
# runs ROUNDS/5, at least 3), BENCH_DIR (default build/), KEEP=1 keeps the
# work directory (and the database, which is reused by a KEEP run with the
# same ENTRIES when REUSE=path/to/ledger.db is given).
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ENTRIES=${ENTRIES:-1000000}
ROUNDS=${ROUNDS:-20}
REF_ROUNDS=$((ROUNDS / 5 < 3 ? 3 : ROUNDS / 5))

prepare "${BENCH_DIR:-$REPO/build}"
command -v sqlite3 >/dev/null || die "sqlite3 missing (scripts/deps.sh installs it)"
DB=$WORK/ledger.db
export FAZHI_LOG_LEVEL=warn

# ---- the data ----

if [ -n "${REUSE:-}" ]; then
    cp "$REUSE" "$DB"
else
    say "bench: units and the catalog"
    TOKEN=$(new_db "$DB")
    bench_units "$DB"
    say "bench: generating $ENTRIES entries in 2022 and $((ENTRIES / 10)) in 2021 (sqlite3)"
    t0=$(date +%s%N)
    gen_entries "$DB" "$ENTRIES" 2022-01-01 365 || die "generating 2022 failed"
    gen_entries "$DB" $((ENTRIES / 10)) 2021-01-01 365 || die "generating 2021 failed"
    say "bench: generated in $((($(date +%s%N) - t0) / 1000000)) ms"
fi
TOKEN=${TOKEN:-$("$FAZHI" apikey add bench2 --db "$DB" --role leader --unit root | tail -n 1)}

say "bench: fazhi ledger rebuild"
rebuild_out=$("$FAZHI" ledger rebuild --db "$DB") || die "ledger rebuild failed"
say "bench: $rebuild_out"
read -r n_2022 n_values n_daily n_monthly < <(sqlite3 -separator ' ' "$DB" \
    "SELECT (SELECT COUNT(*) FROM ledger_entries WHERE date LIKE '2022-%'),
            (SELECT COUNT(*) FROM ledger_values),
            (SELECT COUNT(*) FROM ledger_daily), (SELECT COUNT(*) FROM ledger_monthly)")

IDLE_BUSY=$(quiet_check)
port=$(free_port)
start_fazhi "$DB" "$port" "$WORK/fazhi.log"
URL=http://127.0.0.1:$port/api/v1/ledger/totals

# measure NAME QUERY N: N requests; prints "median max" in ms; keeps the last body.
measure() {
    local name=$1 query=$2 n=$3 times=() t code
    for _ in $(seq "$n"); do
        t=$(curl -s -o "$WORK/$name.json" -w '%{http_code} %{time_total}' \
            -H "Authorization: Bearer $TOKEN" "$URL?$query") || die "curl failed: $query"
        code=${t%% *}
        [ "$code" = 200 ] || die "$query answered $code: $(cat "$WORK/$name.json")"
        times+=("${t#* }")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 * 1000 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f\n", m, v[NR] }'
}

# same A B: the two totals answers agree (everything but "source").
same() {
    python3 - "$WORK/$1.json" "$WORK/$2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for x in (a, b):
    x.pop("source", None)
sys.exit(0 if a == b else 1)
PY
}

declare -A label=(
    [year]="year 2022, every kind"
    [kind]="year 2022, kind=traffic.patrol"
    [part]="2022-03-15 .. 2022-11-20, every kind"
)
declare -A query=(
    [year]="year=2022"
    [kind]="year=2022&kind=traffic.patrol"
    [part]="from=2022-03-15&to=2022-11-20"
)
declare -A rollup detail
errs=0
for k in year kind part; do
    measure "warm-$k" "${query[$k]}" 2 >/dev/null
    rollup[$k]=$(measure "rollup-$k" "${query[$k]}" "$ROUNDS")
    detail[$k]=$(measure "detail-$k" "${query[$k]}&source=detail" "$REF_ROUNDS")
    if ! same "rollup-$k" "detail-$k"; then
        say "bench: roll-up and detail totals DIFFER for ${query[$k]}"
        errs=$((errs + 1))
    fi
done
alive fazhi "$FAZHI_PID" "http://127.0.0.1:$port/healthz"
stop_pid "$FAZHI_PID" || errs=$((errs + 1))
log_problems "$WORK/fazhi.log"

# A second reference, the best a plain SUM does: the sqlite3 shell on the
# same file, scanning the whole table (NOT INDEXED: for a query covering the
# whole subdistrict that beats any index), with the server stopped.
shell_ms=$(for _ in 1 2 3; do
    sqlite3 "$DB" <<'SQL' | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p'
.timer on
SELECT COUNT(*) FROM (
  SELECT e.kind, v.counter, SUM(v.value), COUNT(*)
  FROM ledger_entries e NOT INDEXED JOIN ledger_values v ON v.entry_id = e.id
  WHERE e.deleted_at_ms IS NULL AND e.date >= '2022-01-01' AND e.date <= '2022-12-31'
  GROUP BY e.kind, v.counter);
SQL
done | sort -n | sed -n 2p | awk '{ printf "%.1f", $1 * 1000 }')

entries_in=$(python3 -c "import json; print(json.load(open('$WORK/rollup-year.json'))['entries'])")
[ "$entries_in" = "$n_2022" ] || {
    say "bench: totals counted $entries_in entries for 2022, the table holds $n_2022"
    errs=$((errs + 1))
}

printf '\nledger totals, one subdistrict (26 units); %s entries in 2022 (%s in all), %s counter values\n' \
    "$n_2022" "$((ENTRIES + ENTRIES / 10))" "$n_values"
printf 'roll-up tables: ledger_daily %s rows, ledger_monthly %s rows; CPUs %s%% busy before the runs\n\n' \
    "$n_daily" "$n_monthly" "$IDLE_BUSY"
printf '%-40s %14s %14s %16s %16s %9s\n' "totals" "roll-up p50" "roll-up max" "plain SUM p50" \
    "plain SUM max" "speed-up"
for k in year kind part; do
    read -r rm rx <<<"${rollup[$k]}"
    read -r dm dx <<<"${detail[$k]}"
    printf '%-40s %11s ms %11s ms %13s ms %13s ms %8sx\n' "${label[$k]}" "$rm" "$rx" "$dm" "$dx" \
        "$(awk -v a="$dm" -v b="$rm" 'BEGIN { printf "%.0f", (b > 0) ? a / b : 0 }')"
done
printf '(roll-up: %s requests each; plain SUM = the same request with source=detail, %s each)\n' \
    "$ROUNDS" "$REF_ROUNDS"
printf 'plain SUM of the year in the sqlite3 shell, full table scan, median of 3: %s ms\n' "$shell_ms"

read -r year_ms _ <<<"${rollup[year]}"
met=$(awk -v m="$year_ms" 'BEGIN { print (m < 100) ? "yes" : "no" }')
printf '\ntarget (issue 3): totals of one subdistrict for one year over %s entries < 100 ms: %s (%s ms)\n' \
    "$n_2022" "$([ "$met" = yes ] && echo MET || echo NOT MET)" "$year_ms"
printf 'roll-up answers equal the plain SUM: %s\n' "$([ "$errs" -eq 0 ] && echo yes || echo NO)"
[ "$met" = yes ] && [ "$errs" -eq 0 ]
