#!/usr/bin/env bash
# bench/report.sh - `fazhi report` for the demo data set: the whole 2022
# report of one subdistrict, and of a district of SCALE subdistricts.
#
# Builds the release binary, then:
#   1. `fazhi demo` (one subdistrict, 城西街道 `chengxi`) and times the 2022
#      report of chengxi as HTML, Markdown and PDF (PDF only when the
#      binary's pdf writer works: otherwise "pdf: not available yet");
#   2. `fazhi demo --scale SCALE` (default 100 subdistricts under 西城区
#      `xicheng`; about 70 s) and times the HTML report of the district and
#      of chengxi in it.
# Each figure is the median wall time of RUNS runs (default 5) of the whole
# command (process start, database open, every figure of the template,
# rendering, writing the file). Reference in the same run: `fazhi metrics`
# for the same unit and year, every registered metric and nothing else (the
# data part alone).
#
# The targets of issue 5: the whole 2022 report of one subdistrict renders in
# under 200 ms (HTML) and under 1 s (PDF); for a district of 100
# subdistricts, under 2 s (HTML).
#
# Exit status: 0 every target met (PDF not judged while unavailable); 1 a
# miss, or anything went wrong.
#
# Environment: SCALE (default 100), RUNS (default 5), BENCH_DIR (default
# build/), KEEP=1 keeps the work directory (databases and reports).
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SCALE=${SCALE:-100}
RUNS=${RUNS:-5}
FAZHI=$REPO/build/rel/fazhi
export FAZHI_LOG_LEVEL=warn

say "bench: building build/rel/fazhi"
make -s -C "$REPO" build/rel/fazhi >&2 || die "build failed"
mkdir -p "${BENCH_DIR:-$REPO/build}"
WORK=$(mktemp -d "${BENCH_DIR:-$REPO/build}/fazhi-bench.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM

# median_ms CMD...: runs CMD RUNS times (output discarded; a failure is
# fatal) and prints the median wall time in ms with one decimal.
median_ms() {
    local i t0 t1 times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>"$WORK/err" || die "failed: $* ($(cat "$WORK/err"))"
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.1f\n", m / 1000 }'
}

ROWS=()
MISSED=0
# row LABEL MS TARGET_MS: one line of the table; TARGET_MS "-" for a reference.
row() {
    local verdict=reference
    if [ "$3" != - ]; then
        if awk -v m="$2" -v t="$3" 'BEGIN { exit !(m < t) }'; then
            verdict="MET (< $3 ms)"
        else
            verdict="NOT MET (>= $3 ms)"
            MISSED=1
        fi
    fi
    ROWS+=("$(printf '| %s | %s ms | %s |' "$1" "$2" "$verdict")")
}

report() { # DB UNIT FORMAT
    "$FAZHI" report --db "$1" --unit "$2" --year 2022 --format "$3" -o "$WORK/report.$3"
}

DB1=$WORK/one.db
say "bench: fazhi demo (one subdistrict)"
"$FAZHI" demo --db "$DB1" >/dev/null || die "fazhi demo failed"
row "1 subdistrict (chengxi): HTML" "$(median_ms report "$DB1" chengxi html)" 200
row "1 subdistrict (chengxi): Markdown" "$(median_ms report "$DB1" chengxi md)" -
if report "$DB1" chengxi pdf >/dev/null 2>&1 && [ -s "$WORK/report.pdf" ] &&
    head -c 5 "$WORK/report.pdf" | grep -q '%PDF-'; then
    row "1 subdistrict (chengxi): PDF" "$(median_ms report "$DB1" chengxi pdf)" 1000
else
    say "pdf: not available yet"
    ROWS+=("| 1 subdistrict (chengxi): PDF | pdf: not available yet | not judged |")
fi
row "reference: \`fazhi metrics\` chengxi 2022" \
    "$(median_ms "$FAZHI" metrics --db "$DB1" --unit chengxi --year 2022)" -

DBN=$WORK/scale.db
say "bench: fazhi demo --scale $SCALE (about $((SCALE * 7 / 10)) s)"
t0=$(date +%s)
"$FAZHI" demo --db "$DBN" --scale "$SCALE" >/dev/null || die "fazhi demo --scale failed"
say "bench: built in $(($(date +%s) - t0)) s ($(du -m "$DBN" | cut -f1) MB)"
row "district of $SCALE (xicheng): HTML" "$(median_ms report "$DBN" xicheng html)" 2000
row "reference: \`fazhi metrics\` xicheng 2022" \
    "$(median_ms "$FAZHI" metrics --db "$DBN" --unit xicheng --year 2022)" -
row "chengxi in the district: HTML" "$(median_ms report "$DBN" chengxi html)" 200
row "reference: \`fazhi metrics\` chengxi 2022 (district db)" \
    "$(median_ms "$FAZHI" metrics --db "$DBN" --unit chengxi --year 2022)" -

# shellcheck disable=SC2016 # backquotes are Markdown
printf '\n`fazhi report --year 2022`, median of %s runs (wall time of the command):\n\n' "$RUNS"
printf '| report | median | target |\n|---|---|---|\n'
printf '%s\n' "${ROWS[@]}"
if [ "$MISSED" -ne 0 ]; then
    say "bench: a target was NOT MET"
    exit 1
fi
say "bench: every target MET"
