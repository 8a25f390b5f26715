#!/usr/bin/env bash
# bench/http.sh - HTTP throughput of fazhi next to nginx, in one run.
#
# wrk (-t1, keep-alive, loopback) against, side by side:
#   - nginx serving a static application/json file (the bytes of fazhi's
#     own reply to the authenticated read, so the same size),
#   - fazhi GET /healthz,
#   - fazhi GET /api/v1/units/1 with "Authorization: Bearer <token>": an
#     authenticated JSON read (token lookup, one unit read, JSON reply),
# at 64 and 256 connections, ROUNDS times over. Prints requests/s, p99
# latency and the ratio fazhi/nginx, and checks the target of issue 2: the
# authenticated read at no less than half of nginx's throughput.
#
# Exit status: 0 target met and no errors; 1 an error (a non-2xx reply, a
# socket error, a server gone or stalled) or the target missed.
#
# Environment: DURATION (wrk -d, default 10s), CONNS (default "64 256"),
# ROUNDS (default 2: every run repeated, alternating, medians reported),
# THREADS (fazhi worker threads, default 2), NGINX_WORKERS (default 2),
# KEEP=1 keeps the work directory (logs, wrk output), TMPDIR.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-64 256}
ROUNDS=${ROUNDS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
READ_PATH=/api/v1/units/1

prepare "${TMPDIR:-/tmp}"
chmod 755 "$WORK" # nginx workers run as an unprivileged user

# --- fazhi ---
TOKEN=$(new_db "$WORK/fazhi.db")
FPORT=$(free_port)
start_fazhi "$WORK/fazhi.db" "$FPORT" "$WORK/fazhi.log"
FURL=http://127.0.0.1:$FPORT

mkdir -p "$WORK/www"
read -r code size ctype < <(curl -s -o "$WORK/www/unit.json" \
    -w '%{http_code} %{size_download} %{content_type}\n' \
    -H "Authorization: Bearer $TOKEN" "$FURL$READ_PATH")
[ "$code" = 200 ] || die "fazhi $READ_PATH answered $code: $(cat "$WORK/www/unit.json")"
case $ctype in application/json*) ;; *) die "fazhi $READ_PATH content type is '$ctype'" ;; esac
hcode=$(curl -s -o /dev/null -w '%{http_code}' "$FURL/healthz")
[ "$hcode" = 200 ] || die "fazhi /healthz answered $hcode"
chmod 644 "$WORK/www/unit.json"

# --- nginx, its own configuration, prefix and PID ---
NPORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    types { }
    default_type application/json;
    charset utf-8;
    charset_types application/json;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000000;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NPORT;
        root $WORK/www;
        location = /unit.json { }
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NURL=http://127.0.0.1:$NPORT/unit.json
wait_http "$NURL" || {
    cat "$WORK/nginx/error.log" >&2
    die "nginx did not answer on 127.0.0.1:$NPORT"
}
read -r ncode nsize nctype < <(curl -s -o /dev/null \
    -w '%{http_code} %{size_download} %{content_type}\n' "$NURL")
[ "$ncode" = 200 ] || die "nginx answered $ncode for $NURL (see $WORK/nginx/error.log)"
[ "$nsize" = "$size" ] || die "nginx serves $nsize bytes, fazhi $size"
[ "$nctype" = "$ctype" ] || say "bench: note: nginx content type $nctype, fazhi $ctype"

IDLE_BUSY=$(quiet_check)
say "bench: fazhi on $FURL (PID $FAZHI_PID), nginx on $NURL (PID $NGINX_PID)"
say "bench: replies of $size bytes ($ctype), wrk -t1 -d$DURATION per run"

# --- the runs: nginx and fazhi alternate, ROUNDS times over ---
# One line per run in $WORK/runs: "conns|target|BENCH line|thread split".
run_one() { # CONNS TARGET URL [PID]: one run, appended to $WORK/runs
    local c=$1 target=$2 url=$3 pid=${4:-} t0="" line split="" secs
    [ -z "$pid" ] || t0=$(thread_cpu "$pid")
    line=$(run_wrk "$c" "$url" "$BENCH/read.lua")
    if [ -n "$pid" ]; then
        secs=$(field "$line" duration_us | awk '{ print $1 / 1e6 }')
        split=$(thread_split "$t0" "$(thread_cpu "$pid")" "$secs")
    fi
    printf '%s|%s|%s|%s\n' "$c" "$target" "$line" "$split" >>"$WORK/runs"
}
: >"$WORK/runs"
for r in $(seq "$ROUNDS"); do
    for c in $CONNS; do
        say "bench: round $r/$ROUNDS, c$c: nginx static file"
        run_one "$c" nginx "$NURL"
        alive nginx "$NGINX_PID" "$NURL"
        say "bench: round $r/$ROUNDS, c$c: fazhi /healthz"
        run_one "$c" healthz "$FURL/healthz" "$FAZHI_PID"
        alive fazhi "$FAZHI_PID" "$FURL/healthz"
        say "bench: round $r/$ROUNDS, c$c: fazhi $READ_PATH (bearer)"
        BENCH_TOKEN=$TOKEN run_one "$c" read "$FURL$READ_PATH" "$FAZHI_PID"
        alive fazhi "$FAZHI_PID" "$FURL/healthz"
    done
done

# median FIELD CONNS TARGET: the median of a BENCH field over the rounds
median() {
    local f=$1 c=$2 t=$3
    awk -F'|' -v c="$c" -v t="$t" '$1 == c && $2 == t { print $3 }' "$WORK/runs" |
        tr ' ' '\n' | sed -n "s/^$f=//p" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- the table ---
printf '\nbench/http.sh: wrk -t1 -d%s, keep-alive, 127.0.0.1, %s cores; fazhi --threads %s, nginx %s workers\n' \
    "$DURATION" "$(nproc)" "$THREADS" "$NGINX_WORKERS"
printf 'reply body %s bytes, %s; CPUs %s%% busy before the runs\n' "$size" "$ctype" "$IDLE_BUSY"
printf '%s round(s): req/s, p50 and p99 are medians over the rounds; errors the sum\n\n' "$ROUNDS"
printf '%-36s %5s %9s %8s %8s %6s %12s  %s\n' target conns "req/s" "p50 ms" "p99 ms" errors fazhi/nginx \
    "each round: req/s (worker threads' CPU split)"
fail=0
verdicts=()
for c in $CONNS; do
    nrps=$(median rps "$c" nginx)
    for t in nginx healthz read; do
        case $t in
        nginx) name="nginx static file ($size B)" ;;
        healthz) name="fazhi GET /healthz" ;;
        read) name="fazhi GET $READ_PATH, bearer" ;;
        esac
        rps=$(median rps "$c" "$t")
        p50=$(awk -v u="$(median p50_us "$c" "$t")" 'BEGIN { printf "%.2f", u / 1000 }')
        p99=$(awk -v u="$(median p99_us "$c" "$t")" 'BEGIN { printf "%.2f", u / 1000 }')
        err=0
        each=""
        while IFS='|' read -r rc rt line split; do
            if [ "$rc" != "$c" ] || [ "$rt" != "$t" ]; then
                continue
            fi
            err=$((err + $(errors "$line")))
            each="$each$(printf '%.0f' "$(field "$line" rps)")${split:+ ($split)}; "
        done <"$WORK/runs"
        [ "$err" -eq 0 ] || fail=1
        ratio=-
        [ "$t" = nginx ] || ratio=$(awk -v a="$rps" -v b="$nrps" 'BEGIN { printf "%.2f", a / b }')
        printf '%-36s %5s %9.0f %8s %8s %6s %12s  %s\n' "$name" "$c" "$rps" "$p50" "$p99" "$err" \
            "$ratio" "${each%; }"
        if [ "$t" = read ]; then
            if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }'; then
                verdicts+=("c$c: authenticated read / nginx static = $ratio >= 0.50: met")
            else
                verdicts+=("c$c: authenticated read / nginx static = $ratio < 0.50: NOT MET")
                fail=1
            fi
        fi
    done
done
printf '\ntarget (issue 2): fazhi authenticated JSON read >= half of nginx static-file req/s\n'
printf '  %s\n' "${verdicts[@]}"

stop_pid "$NGINX_PID" || say "bench: nginx did not stop cleanly"
stop_pid "$FAZHI_PID" || {
    say "bench: fazhi did not stop cleanly"
    fail=1
}
log_problems "$WORK/fazhi.log"
[ "$fail" -eq 0 ] || say "bench: errors or target missed (KEEP=1 keeps the logs and wrk output)"
exit "$fail"
