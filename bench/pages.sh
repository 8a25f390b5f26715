#!/usr/bin/env bash
# bench/pages.sh - every page of the staff console and the portal, timed by
# the server itself, for a scope of 100,000 ledger entries.
#
# Builds a database with one subdistrict (the 26 units of bench/ledger.sh),
# the shipped catalog and ENTRIES ledger entries (default 100,000) dated from
# 1 January of this year to today, so that this month and this year (what the
# dashboard shows) both hold entries; beside them a register of people
# (ENTRIES/20 residents of the communities and villages, one in five of them
# a legal-literate resident, and ENTRIES/500 officers of the departments and
# stations with a certificate each) and an event for each of the newest
# ENTRIES/100 entries (the dashboard's feed). The rows are written by sqlite3
# (gen_entries in bench/lib.sh); `fazhi ledger rebuild` computes the roll-up.
#
# Users: "staff" (role staff at the subdistrict, so every entry is in scope),
# "admin" (role admin at the subdistrict) and "clerk" (role staff at a
# community added after the entries, so none is in scope). Each signs in
# with POST /login; curl keeps the session cookie.
#
# fazhi serve (release build, --log-level info) logs every request as
#   http GET /path 200 1234B 567us user=N
# with the time the server spent on it. The script requests every page once
# (the first requests after the start; their times are shown apart and not
# judged), then ROUNDS rounds of every page (default 20), one curl (one
# keep-alive connection) per user and round, and reads the times from the log.
# References in the same run: GET /healthz, and the clerk's list of the same
# kind (the same page with an empty scope). The CSS and JS the pages link
# under /static/ are fetched and their sizes added up.
#
# The target of issue 4: every page answers in under 20 ms on the server for a
# scope of 100,000 entries, and the pages ship less than 100 KB (100,000
# bytes) of CSS and JS.
#
# Exit status: 0 target met; 1 a page missed it (a request of the ROUNDS took
# 20 ms or more), the CSS and JS reach 100 KB, or anything went wrong (a
# reply other than 200, a request missing from the log, a server that died or
# did not stop).
#
# Resident matters: MATTER_SECONDS (default 2) seconds of anonymous
# submissions through the API before the rounds, all left open; the queue,
# a matter's page and the tracking pages are timed with them.
#
# Environment: ENTRIES (default 100000), ROUNDS (default 20), THREADS (fazhi
# --threads, default 2), BENCH_DIR (default build/), KEEP=1 keeps the work
# directory (database, server log, the pages' HTML).
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ENTRIES=${ENTRIES:-100000}
ROUNDS=${ROUNDS:-20}
TARGET_US=20000
STATIC_MAX=100000
PASSWORD=bench-password-1234 # new_db's admin has it too
PEOPLE=$((ENTRIES / 20))
OFFICERS=$((ENTRIES / 500))
EVENTS=$((ENTRIES / 100))

prepare "${BENCH_DIR:-$REPO/build}"
command -v sqlite3 >/dev/null || die "sqlite3 missing (scripts/deps.sh installs it)"
DB=$WORK/pages.db
export FAZHI_LOG_LEVEL=warn

# The server's calendar is China Standard Time (UTC+8, no daylight saving).
now=$(date +%s)
today=$(date -u -d "@$((now + 8 * 3600))" +%F)
year=${today%%-*}
month=${today%-*}
days=$((10#$(date -u -d "@$((now + 8 * 3600))" +%j))) # 1 January .. today
now_ms=$((now * 1000))

# ---- the data ----

say "bench: units, the catalog and the admin"
new_db "$DB" >/dev/null
bench_units "$DB"
say "bench: generating $ENTRIES entries dated $year-01-01 .. $today (sqlite3)"
t0=$(date +%s%N)
gen_entries "$DB" "$ENTRIES" "$year-01-01" "$days" || die "generating the entries failed"
say "bench: people, registers and events (sqlite3)"
sqlite3 "$DB" <<SQL || die "generating the registers failed"
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE homes (n INTEGER PRIMARY KEY, id INTEGER);
INSERT INTO homes SELECT row_number() OVER (ORDER BY id) - 1, id FROM units
    WHERE type IN ('community', 'village');
CREATE TEMP TABLE offices (n INTEGER PRIMARY KEY, id INTEGER);
INSERT INTO offices SELECT row_number() OVER (ORDER BY id) - 1, id FROM units
    WHERE type IN ('department', 'station');
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $PEOPLE - 1)
INSERT INTO people (unit_id, name, gender, phone, tags, created_at_ms, updated_at_ms)
SELECT h.id, '居民' || i, CASE i % 2 WHEN 0 THEN 'male' ELSE 'female' END,
       printf('139%08d', i), '', $now_ms, $now_ms
FROM seq JOIN homes h ON h.n = seq.i % (SELECT COUNT(*) FROM homes);
INSERT INTO legal_literates (person_id, community_unit_id, trained_on, created_at_ms,
                             updated_at_ms)
SELECT id, unit_id, date('$year-01-01', '+' || (id % $days) || ' days'), $now_ms, $now_ms
FROM people WHERE id % 5 = 0;
CREATE TEMP TABLE first (id INTEGER);
INSERT INTO first SELECT MAX(id) FROM people;
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $OFFICERS - 1)
INSERT INTO people (unit_id, name, gender, phone, tags, created_at_ms, updated_at_ms)
SELECT o.id, '执法人员' || i, CASE i % 2 WHEN 0 THEN 'male' ELSE 'female' END,
       printf('138%08d', i), '', $now_ms, $now_ms
FROM seq JOIN offices o ON o.n = seq.i % (SELECT COUNT(*) FROM offices);
INSERT INTO certificates (person_id, number, authority, field, valid_from, valid_to,
                          created_at_ms, updated_at_ms)
SELECT id, printf('ZF%06d', id), '区司法局', '综合行政执法', '$year-01-01',
       date('$today', '+' || (id % 730) || ' days'), $now_ms, $now_ms
FROM people WHERE id > (SELECT id FROM first);
INSERT INTO events (at_ms, type, unit_path, topic, payload)
SELECT $now_ms - $EVENTS + n, 'ledger.entry.created', path, '',
       json_object('id', id, 'kind', kind, 'unit_id', unit_id, 'date', date, 'title', title,
                   'version', 1)
FROM (SELECT row_number() OVER (ORDER BY e.id) AS n, e.*, u.path
      FROM (SELECT * FROM ledger_entries ORDER BY id DESC LIMIT $EVENTS) e
      JOIN units u ON u.id = e.unit_id)
ORDER BY id;
COMMIT;
SQL
say "bench: generated in $((($(date +%s%N) - t0) / 1000000)) ms"

# After the entries: a community none of them belongs to.
bench_unit "$DB" c13 社区13 community
add_user() { # add_user LOGIN UNIT ROLE
    printf '%s\n' "$PASSWORD" | "$FAZHI" user add "$1" --db "$DB" --unit "$2" --role "$3" \
        --password-stdin >/dev/null || die "user add $1 failed"
}
add_user staff root staff
add_user clerk c13 staff

say "bench: fazhi ledger rebuild"
rebuild_out=$("$FAZHI" ledger rebuild --db "$DB") || die "ledger rebuild failed"
say "bench: $rebuild_out"

q() { sqlite3 -separator ' ' "$DB" "$1"; }
read -r n_year n_month n_kinds <<<"$(q "SELECT
    (SELECT COUNT(*) FROM ledger_entries WHERE date >= '$year-01-01' AND date <= '$today'),
    (SELECT COUNT(*) FROM ledger_entries WHERE date >= '$month-01' AND date <= '$today'),
    (SELECT COUNT(DISTINCT kind) FROM ledger_entries)")"
[ "$n_month" -gt 0 ] || die "no entry in this month ($month)"
# The list pages: the kind with the most entries and the one with the fewest.
read -r big n_big <<<"$(q "SELECT kind, COUNT(*) FROM ledger_entries GROUP BY kind
                           ORDER BY COUNT(*) DESC, kind LIMIT 1")"
read -r small n_small <<<"$(q "SELECT kind, COUNT(*) FROM ledger_entries GROUP BY kind
                               ORDER BY COUNT(*), kind LIMIT 1")"
# The entry page: the first entry of the big kind's list (newest first).
entry=$(q "SELECT id FROM ledger_entries WHERE kind = '$big' ORDER BY date DESC, id DESC LIMIT 1")
read -r uid_staff uid_admin uid_clerk <<<"$(q "SELECT (SELECT id FROM users WHERE login = 'staff'),
    (SELECT id FROM users WHERE login = 'admin'), (SELECT id FROM users WHERE login = 'clerk')")"
read -r n_people n_literates n_officers n_events <<<"$(q "SELECT (SELECT COUNT(*) FROM people),
    (SELECT COUNT(*) FROM legal_literates), (SELECT COUNT(*) FROM certificates),
    (SELECT COUNT(*) FROM events)")"

# ---- the server ----

IDLE_BUSY=$(quiet_check)
port=$(free_port)
LOG=$WORK/fazhi.log
start_fazhi "$DB" "$port" "$LOG" --log-level info --submit-limit 0
BASE=http://127.0.0.1:$port

login() { # login JAR LOGIN: signs in through the form, the session cookie into JAR
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -c "$1" --max-time 10 \
        --data-urlencode "login=$2" --data-urlencode "password=$PASSWORD" "$BASE/login") ||
        die "POST /login as $2 failed"
    [ "$code" = 303 ] || die "POST /login as $2 answered $code, not 303"
}
login "$WORK/staff.jar" staff
login "$WORK/admin.jar" admin
login "$WORK/clerk.jar" clerk

# Resident matters in the staff's scope: MATTER_SECONDS (default 2) of
# anonymous submissions through the API (bench/matter.lua; the types go to
# the root unit, the subdistrict). One of them is the matter and the tracking
# code whose pages are timed; the tracking pages are logged by their pattern.
DURATION=${MATTER_SECONDS:-2}s BENCH_ACKED=$WORK/matters.acked \
    run_wrk 16 "$BASE/api/v1/matters" "$BENCH/matter.lua" >/dev/null
n_matters=$(sqlite3 "$DB" 'SELECT count(*) FROM matters')
matter=$(sqlite3 "$DB" 'SELECT max(case_id) FROM matters')
track_code=$(head -n 1 "$WORK/matters.acked")
[ -n "$matter" ] && [ -n "$track_code" ] || die "no matter was submitted"

# fetch JAR SAVE PATH...: one curl (one keep-alive connection) GETs each PATH
# in turn, with the cookies of JAR (none when "-"); each body goes to
# SAVE.1, SAVE.2, ... (or nowhere when SAVE is "-"). Every reply must be 200.
fetch() {
    local jar=$1 save=$2 args=(-s --max-time 10 -w '%{http_code} %{url_effective}\n') i=0 p out
    shift 2
    [ "$jar" = - ] || args+=(-b "$jar")
    for p in "$@"; do
        i=$((i + 1))
        if [ "$save" = - ]; then args+=(-o /dev/null); else args+=(-o "$save.$i"); fi
        args+=("$BASE$p")
    done
    out=$(curl "${args[@]}") || die "curl failed: $*"
    out=$(printf '%s\n' "$out" | awk '$1 != 200') || true
    [ -z "$out" ] || die "a reply was not 200: $out"
}

# mark PATH: a request the log shows where a phase begins (it answers 404).
mark() {
    curl -s -o /dev/null --max-time 10 "$BASE$1" || die "GET $1 failed"
}

# The pages, by who asks for them. The rows of the table: PATH USER_ID AS GROUP.
STAFF=(/console /console/ledger "/console/ledger/$big" "/console/ledger/$small"
    "/console/ledger/$big/new" "/console/ledger/entries/$entry" /console/units /console/people
    /console/officers /console/legal-literates /console/matters "/console/matters/$matter")
ADMIN=(/console/admin/users /console/admin/tokens /console/admin/kinds /console/admin/matter-types
    /console/admin/webhooks)
PUBLIC=(/ /login /submit /track "/track/$track_code")
CLERK=("/console/ledger/$big")
REFS=(/healthz)
ROWS=$WORK/rows.tsv
: >"$ROWS"
for p in "${STAFF[@]}"; do printf '%s\t%s\tstaff\tpage\n' "$p" "$uid_staff" >>"$ROWS"; done
for p in "${ADMIN[@]}"; do printf '%s\t%s\tadmin\tpage\n' "$p" "$uid_admin" >>"$ROWS"; done
for p in "${PUBLIC[@]}"; do
    [ "$p" != "/track/$track_code" ] || p='/track/{code}' # as the log shows it
    printf '%s\t-\t-\tpage\n' "$p" >>"$ROWS"
done
printf '%s\t-\t-\tref\n' /healthz >>"$ROWS"
printf '%s\t%s\tclerk\tref\n' "${CLERK[0]}" "$uid_clerk" >>"$ROWS"

# The first round: the first request of each page since the start. The HTML
# is kept to find the stylesheets and scripts the pages link.
mark /-bench/first-round
mkdir -p "$WORK/html"
fetch "$WORK/staff.jar" "$WORK/html/staff" "${STAFF[@]}"
fetch "$WORK/admin.jar" "$WORK/html/admin" "${ADMIN[@]}"
fetch "$WORK/clerk.jar" "$WORK/html/clerk" "${CLERK[@]}"
fetch - "$WORK/html/public" "${PUBLIC[@]}" "${REFS[@]}"
mapfile -t STATIC < <(cat "$WORK"/html/* | grep -o '/static/[^"'"'"' <>]*' |
    grep -E '^/static/[^?]*\.(css|js)(\?|$)' | sort -u)
[ "${#STATIC[@]}" -gt 0 ] || die "the pages link no CSS or JS under /static/"
for p in "${STATIC[@]}"; do printf '%s\t-\t-\tstatic\n' "${p%%\?*}" >>"$ROWS"; done
fetch - "$WORK/html/static" "${STATIC[@]}"
static_list=""
static_total=0
i=0
for p in "${STATIC[@]}"; do
    i=$((i + 1))
    n=$(stat -c %s "$WORK/html/static.$i")
    static_total=$((static_total + n))
    static_list+="${static_list:+, }$(basename "${p%%\?*}") $n B"
done
static_gzip=$(cat "$WORK"/html/static.* | gzip -9 | wc -c)

# The measured rounds.
sleep 0.2
mark /-bench/measured-rounds
say "bench: $ROUNDS rounds of $(($(wc -l <"$ROWS"))) requests"
for _ in $(seq "$ROUNDS"); do
    fetch "$WORK/staff.jar" - "${STAFF[@]}"
    fetch "$WORK/admin.jar" - "${ADMIN[@]}"
    fetch "$WORK/clerk.jar" - "${CLERK[@]}"
    fetch - - "${PUBLIC[@]}" "${REFS[@]}" "${STATIC[@]}"
done
mark /-bench/end
alive fazhi "$FAZHI_PID" "$BASE/healthz"
errs=0
stop_pid "$FAZHI_PID" || errs=$((errs + 1))
if grep -v -E '^[^ ]+ INFO ' "$LOG" | grep -q .; then
    say "bench: the server logged warnings or errors; the first ones:"
    grep -v -E '^[^ ]+ INFO ' "$LOG" | head -n 10 >&2
fi

printf '\npages, one subdistrict (27 units): %s entries in %s, %s in this month (%s); %s kinds\n' \
    "$n_year" "$year" "$n_month" "$month" "$n_kinds"
printf 'scope of staff and admin: the subdistrict (every entry); of clerk: a community with none\n'
printf 'lists: %s (%s entries), %s (%s); %s people, %s legal-literate, %s certificates, %s events\n' \
    "$big" "$n_big" "$small" "$n_small" "$n_people" "$n_literates" "$n_officers" "$n_events"
printf 'resident matters in scope: %s (the queue shows the newest 30)\n' "$n_matters"
printf 'fazhi serve --threads %s; CPUs %s%% busy before the runs\n\n' "$THREADS" "$IDLE_BUSY"

python3 - "$LOG" "$ROWS" "$ROUNDS" "$TARGET_US" <<'PY' || errs=$((errs + 100))
import re, sys

log, rows_file, rounds, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
line_re = re.compile(r" http GET (\S+) (\S+) (\d+)B (\d+)us user=(\S+)(.*)$")
phase, first, times, sizes, bad = None, {}, {}, {}, []
for line in open(log, encoding="utf-8", errors="replace"):
    m = line_re.search(line.rstrip("\n"))
    if not m:
        continue
    path, status, size, us, user, rest = m.groups()
    if path == "/-bench/first-round":
        phase = "first"
        continue
    if path == "/-bench/measured-rounds":
        phase = "rounds"
        continue
    if path == "/-bench/end":
        phase = None
        continue
    if phase is None:
        continue
    key = (path, user)
    if status != "200" or rest.strip():
        bad.append(line.strip())
    if phase == "first":
        first.setdefault(key, int(us))
    else:
        times.setdefault(key, []).append(int(us))
        sizes.setdefault(key, set()).add(int(size))

def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

head = f"{'page':<46} {'as':<6} {'p50 µs':>8} {'max µs':>8} {'first µs':>9} {'bytes':>8}  < 20 ms"
groups = {"page": "", "ref": "reference", "static": "static files"}
missed, errors = [], 0
print(head)
last = "page"
for row in open(rows_file, encoding="utf-8"):
    path, user, who, group = row.rstrip("\n").split("\t")
    if group != last:
        print(f"-- {groups[group]}")
        last = group
    key = (path, user)
    t = times.get(key, [])
    if len(t) != rounds:
        print(f"bench: {path} as {who}: {len(t)} requests in the log, expected {rounds}",
              file=sys.stderr)
        errors += 1
    if not t:
        continue
    ok = max(t) < target
    if group == "page" and not ok:
        missed.append(path)
    sz = sizes[key]
    size = str(min(sz)) if len(sz) == 1 else f"{min(sz)}-{max(sz)}"
    print(f"GET {path:<42} {who:<6} {median(t):>8.0f} {max(t):>8} {first.get(key, 0):>9} "
          f"{size:>8}  {'yes' if ok else 'NO'}")
for b in bad:
    print(f"bench: not a clean 200: {b}", file=sys.stderr)
print(f"(p50 and max of {rounds} requests each, as the server logged them; first: the "
      "page's first request after the start, not judged)")
with open(rows_file + ".missed", "w") as f:
    f.write(" ".join(missed))
sys.exit(1 if errors or bad else 0)
PY
missed=$(cat "$ROWS.missed" 2>/dev/null || echo "?")

printf 'CSS and JS the pages link under /static/: %s; %s B in all (%s B gzip -9)\n' \
    "$static_list" "$static_total" "$static_gzip"
printf '\ntarget (issue 4): every page under %s ms on the server, %s entries in scope: %s\n' \
    "$((TARGET_US / 1000))" "$n_year" "$([ -z "$missed" ] && echo MET || echo "NOT MET ($missed)")"
printf 'target (issue 4): CSS and JS under %s B: %s\n' "$STATIC_MAX" \
    "$([ "$static_total" -lt "$STATIC_MAX" ] && echo MET || echo "NOT MET ($static_total B)")"
[ "$errs" -eq 0 ] || say "bench: errors (see above)"
[ -z "$missed" ] && [ "$static_total" -lt "$STATIC_MAX" ] && [ "$errs" -eq 0 ]
