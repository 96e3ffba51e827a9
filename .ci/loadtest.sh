#!/usr/bin/env bash
# .ci/loadtest.sh — load test of crn on this machine, end to end (`make loadtest`;
# not part of `make test`). docs/BENCHMARKS.md records its results.
#
# For each dialect (SQLite, then PostgreSQL) it builds crn and crn-ceiling,
# seeds the demo community into a fresh data dir or a fresh database, starts
# `crn serve` on 127.0.0.1, and drives it with wrk (2 threads):
#
#   ceiling              crn-ceiling answering the exact bytes of crn's 20-post topic page
#   topic page           GET /api/v1/topics/{id}/posts?limit=20 over 8 topics (guests, guests
#                        asking for gzip as browsers do, then signed in)
#   forum topics         GET /api/v1/forums/{id}/topics over the public forums (guests, then signed in)
#   short/big topic      page 1 of a short topic, then page 1, the page after post 50000
#                        (cursor), near=50000 and the last page of a 100,000-reply topic
#   create posts         POST /api/v1/topics/{id}/posts, 16 users over 8 topics
#
# The 100,000 replies are inserted with one SQL statement (sqlite3 / psql), copying
# real demo posts round-robin and bumping the topic's and forum's counters, which
# takes seconds; through the API it would take minutes per dialect. It takes a
# 10 s CPU profile of crn (CRN_DEBUG_ADDR) under the guest topic-page load and
# under the writes, and on PostgreSQL estimates the statements each read
# request runs (pg_stat_database).
#
# All traffic stays on 127.0.0.1; every wait has a deadline; whatever it
# started (servers, the profiler fetch, the database, temp dirs) is stopped or
# removed on exit.
# Results, wrk outputs and server logs stay in $LOADTEST_OUT.
#
# Environment (defaults in brackets):
#   LOADTEST_DIALECTS  dialects to run ["sqlite postgres"]
#   LOADTEST_DURATION  seconds per main scenario [15]
#   LOADTEST_SHORT     seconds per big-topic scenario [10]
#   LOADTEST_CONNS     connections for reads [64]
#   LOADTEST_WRITERS   connections (and users) for writes [16]
#   LOADTEST_PORT      crn listens here, crn-ceiling on the next port, crn's pprof on the one after [18080]
#   LOADTEST_PG_URL    PostgreSQL admin URL [postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable]
#   LOADTEST_OUT       directory for results [a new temp dir]
#   LOADTEST_SCENARIOS extended regexp; only scenarios whose name matches run
#                      (e.g. 'signed in|create posts') [all]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DIALECTS=${LOADTEST_DIALECTS:-sqlite postgres}
DURATION=${LOADTEST_DURATION:-15}
SHORT=${LOADTEST_SHORT:-10}
CONNS=${LOADTEST_CONNS:-64}
WRITERS=${LOADTEST_WRITERS:-16}
SCENARIOS=${LOADTEST_SCENARIOS:-}
PORT=${LOADTEST_PORT:-18080}
CEIL_PORT=$((PORT + 1))
DEBUG_PORT=$((PORT + 2)) # crn's pprof listener (CRN_DEBUG_ADDR)
PG_URL=${LOADTEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
BIG_REPLIES=100000
READ_TOPICS_N=8
MIN_POSTS=24 # read topics are topped up to this many posts, so page 1 has 20 and a next cursor
LUA_DIR=$PWD/.ci/loadtest
BASE=http://127.0.0.1:$PORT
DEMO_PASSWORD=crn-demo-password

log() { printf '%s loadtest: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crn-loadtest.XXXXXX")
OUT=${LOADTEST_OUT:-$WORK/out}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

# ---------------------------------------------------------------- cleanup
crn_pid= ceil_pid= prof_pid= pg_db=
stop_pid() { # stop_pid PID: TERM, up to 20 s, then KILL
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
drop_pg_db() {
	[ -n "$pg_db" ] || return 0
	timeout 30 psql -X -q -d "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 ||
		log "could not drop database $pg_db"
	pg_db=
}
cleanup() {
	stop_pid "${waits_pid:-}"
	stop_pid "$prof_pid"
	stop_pid "$ceil_pid"
	stop_pid "$crn_pid"
	drop_pg_db
	# Keep the results when they live in the work dir.
	find "$WORK" -mindepth 1 -maxdepth 1 ! -path "$OUT" -exec rm -rf {} +
	rmdir "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
[[ " $DIALECTS " != *" sqlite "* ]] || command -v sqlite3 >/dev/null || need+=(sqlite3)
[[ " $DIALECTS " != *" postgres "* ]] || command -v psql >/dev/null || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing ${need[*]}; install them (apt-get install ${need[*]})"
	log "installing ${need[*]} (apt-get)"
	timeout 300 apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
		{ timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq "${need[@]}" >/dev/null; } ||
		die "apt-get install ${need[*]} failed"
fi

port_free() { ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
port_free "$PORT" || die "port $PORT is in use (set LOADTEST_PORT)"
port_free "$CEIL_PORT" || die "port $CEIL_PORT is in use (set LOADTEST_PORT)"
port_free "$DEBUG_PORT" || die "port $DEBUG_PORT is in use (set LOADTEST_PORT)"

# ---------------------------------------------------------------- build
log "building crn and crn-ceiling"
GO=${GO:-go}
CGO_ENABLED=0 timeout 600 "$GO" build -trimpath -o "$WORK/crn" ./cmd/crn
CGO_ENABLED=0 timeout 600 "$GO" build -trimpath -o "$WORK/crn-ceiling" ./cmd/crn-ceiling
CRN=$WORK/crn

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
	echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
	echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
	echo "go: $("$GO" version | cut -d' ' -f3-)"
	echo "sqlite driver: $("$GO" list -m modernc.org/sqlite 2>/dev/null || echo unknown)"
	echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "settings: duration=${DURATION}s short=${SHORT}s conns=$CONNS writers=$WRITERS threads=2"
} >"$OUT/machine.txt"

# ---------------------------------------------------------------- HTTP helpers
api() { # api METHOD PATH [TOKEN] [JSON]: body on stdout, fails on non-2xx
	local args=(-fsS --max-time 30 -X "$1" "$BASE$2")
	[ -z "${3:-}" ] || args+=(-H "Authorization: Bearer $3")
	[ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}"
}
login() { # login USERNAME: prints a bearer token
	api POST /api/v1/auth/login "" "$(jq -nc --arg l "$1" --arg p "$DEMO_PASSWORD" '{login: $l, password: $p}')" | jq -er .token
}
wait_ready() { # wait_ready URL PID: up to 60 s
	local deadline=$((SECONDS + 60))
	until curl -fsS --max-time 1 "$1" >/dev/null 2>&1; do
		kill -0 "$2" 2>/dev/null || return 1
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

# ---------------------------------------------------------------- wrk runner
CLK_TCK=$(getconf CLK_TCK)
# cpu_snapshot PID: "host_busy host_total server pg" in clock ticks; pg sums
# every process named postgres.
cpu_snapshot() {
	local host server pg
	host=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	server=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0)
	pg=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 == "(postgres)" { s += $14 + $15 } END { print s + 0 }')
	echo "$host $server $pg"
}

# db_backends_cpu: "pid ticks" for each backend connected to the benchmark
# database (PostgreSQL runs only): the machine's PostgreSQL also serves
# other work, whose backends must not count towards crn's.
db_backends_cpu() {
	local pid
	for pid in $(psql -X -q -At -d "$db_url" -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
		awk -v p="$pid" '{ print p, $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true
	done
}

# pg_sessions: connections ever opened to the benchmark database (PostgreSQL 14+).
pg_sessions() { psql -X -q -At -d "$db_url" -c "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"; }

# run_wrk DIALECT NAME KIND CONNS SECONDS SCRIPT [VAR=VALUE...]: runs wrk with
# the Lua script against $target, served by process $server_pid, and appends
# a result row. KIND is ceiling, read, short, big or write. Besides wrk's
# numbers it records the server's CPU per request and how much of the
# machine went to anything but the server, PostgreSQL and wrk ("other"): on
# a shared machine, a run with much "other" is not to be trusted. On
# PostgreSQL it also counts the connections crn opened during the run.
# wanted NAME: whether LOADTEST_SCENARIOS selects the scenario.
wanted() { [ -z "$SCENARIOS" ] || grep -Eq -- "$SCENARIOS" <<<"$1"; }

run_wrk() {
	local dialect=$1 name=$2 kind=$3 conns=$4 secs=$5 script=$6
	shift 6
	wanted "$name" || return 0
	local file="$OUT/wrk-$dialect-${name// /-}.txt" before after wrk_cpu load
	file=${file//,/}
	load=$(cut -d' ' -f1 /proc/loadavg)
	log "$dialect: $name ($conns connections, ${secs}s; load average $load)"
	before=$(cpu_snapshot "$server_pid")
	local sessions0=0 sessions1=0 db0="" db1="" dbticks=""
	[ "$dialect" != postgres ] || { sessions0=$(pg_sessions); db0=$(db_backends_cpu); }
	{
		TIMEFORMAT='%U %S'
		time env LT_LUA_DIR="$LUA_DIR" "$@" timeout $((secs + 30)) \
			wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s --latency -s "$LUA_DIR/$script" "$target" >"$file" 2>&1
	} 2>"$file.time" || die "wrk failed: $(tail -5 "$file")"
	after=$(cpu_snapshot "$server_pid")
	if [ "$dialect" = postgres ]; then
		# CPU of the benchmark database's backends during the run (those
		# that exited during it are missed; crn's pool keeps its connections).
		db1=$(db_backends_cpu)
		dbticks=$(awk 'NR == FNR { b[$1] = $2; next } { s += $2 - b[$1] } END { print s + 0 }' <(echo "$db0") <(echo "$db1"))
		sessions1=$(sleep 1.5 && pg_sessions)
	fi
	wrk_cpu=$(awk '{ print $1 + $2 }' "$file.time")
	rm -f "$file.time"
	local line
	line=$(grep '^LOADTEST ' "$file") || die "no result line in $file"
	# dialect name kind rps p50_us p99_us errors server_cpu_ms_per_req other_pct load new_db_conns db_cpu_ms_per_req
	awk -v conns="$([ "$dialect" = postgres ] && echo $((sessions1 - sessions0 - 1)) || echo -)" -v d="$dialect" -v n="$name" -v k="$kind" -v b="$before" -v a="$after" -v w="$wrk_cpu" -v tck="$CLK_TCK" -v la="$load" -v dbt="${dbticks:-0}" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] + 0 }
		errors = v["status_errors"]; if (v["bad"] > errors) errors = v["bad"]
		errors += v["socket_errors"] + v["timeouts"]
		split(b, x, " "); split(a, y, " ")
		total = y[2] - x[2]; busy = y[1] - x[1]; server = y[3] - x[3]; pg = y[4] - x[4]
		other = total > 0 ? 100 * (busy - server - pg - w * tck) / total : 0
		if (other < 0) other = 0
		cpu = v["requests"] > 0 ? server / tck * 1000 / v["requests"] : 0
		dbcpu = (d == "postgres" && v["requests"] > 0) ? sprintf("%.3f", dbt / tck * 1000 / v["requests"]) : "-"
		printf "%s\t%s\t%s\t%.1f\t%d\t%d\t%d\t%.3f\t%.0f\t%s\t%s\t%s\n", d, n, k, v["rps"], v["p50_us"], v["p99_us"], errors, cpu, other, la, conns, dbcpu
	}' <<<"$line" >>"$RESULTS"
	if grep -q '^LOADTEST_FIRST_ERROR' "$file"; then log "  first error: $(grep '^LOADTEST_FIRST_ERROR' "$file" | cut -d' ' -f2-)"; fi
	log "  $(tail -1 "$RESULTS" | awk -F'\t' '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, server CPU %.3f ms/request, PostgreSQL CPU %s ms/request, other load %d%%", $4, $5 / 1000, $6 / 1000, $7, $8, $12, $9 }')"
}

# ---------------------------------------------------------------- dialects
start_crn() { # start_crn DIALECT: serve in the background, wait for /readyz
	CRN_ADDR=127.0.0.1:$PORT CRN_DEBUG_ADDR=127.0.0.1:$DEBUG_PORT CRN_LOG_LEVEL=error CRN_AUTH_RATE=100000 CRN_AUTH_BURST=100000 \
		"$CRN" serve >>"$OUT/crn-$1.log" 2>&1 &
	crn_pid=$!
	wait_ready "$BASE/readyz" "$crn_pid" || die "crn did not become ready: $(tail -5 "$OUT/crn-$1.log")"
}

# bulk_sql DIALECT: SQL that gives topic $big_topic (opening post only) $BIG_REPLIES
# replies, copying demo replies round-robin, and updates the counters.
bulk_sql() {
	local gen now
	if [ "$1" = sqlite ]; then
		gen="WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $((BIG_REPLIES + 1)))"
		now="strftime('%Y-%m-%d %H:%M:%S', 'now') || '+00:00'"
		echo ".timeout 30000"
		echo "BEGIN IMMEDIATE;"
	else
		gen="WITH n(i) AS (SELECT generate_series(2, $((BIG_REPLIES + 1))))"
		now="now()"
		echo "BEGIN;"
	fi
	cat <<SQL
CREATE TEMP TABLE loadtest_sample AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS k, user_id, source, html, excerpt
  FROM posts WHERE post_number > 1 AND deleted_at IS NULL ORDER BY id LIMIT 1000;
$gen
INSERT INTO posts (topic_id, user_id, post_number, source, html, excerpt, version, reaction_count, created_at)
  SELECT $big_topic, s.user_id, n.i, s.source, s.html, s.excerpt, 1, 0, $now
  FROM n JOIN loadtest_sample s ON s.k = n.i % (SELECT count(*) FROM loadtest_sample);
UPDATE topics SET highest_post_number = $((BIG_REPLIES + 1)), reply_count = reply_count + $BIG_REPLIES WHERE id = $big_topic;
UPDATE forums SET post_count = post_count + $BIG_REPLIES WHERE id = $big_forum;
COMMIT;
SQL
	[ "$1" = sqlite ] || echo "ANALYZE posts;"
}

pg_commits() { psql -X -q -At -d "$db_url" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }

# statements_per_request NAME PATH [TOKEN]: PostgreSQL only; transactions
# committed per request (each statement outside a transaction is one), from
# pg_stat_database around 300 sequential requests, less what the same time
# with no requests commits (the outbox relay polls twice a second).
statements_per_request() {
	local name=$1 path=$2 token=${3:-} n=300 before after idle0 idle1 t0 t1
	sleep 2
	before=$(pg_commits)
	t0=$(date +%s.%N)
	for _ in $(seq $n); do api GET "$path" "$token" >/dev/null; done
	sleep 5 # backends flush their statistics when idle, at most once a second
	after=$(pg_commits)
	t1=$(date +%s.%N)
	idle0=$(pg_commits)
	sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
	idle1=$(pg_commits)
	awk -v a="$before" -v b="$after" -v i0="$idle0" -v i1="$idle1" -v n=$n -v name="$name" \
		'BEGIN { printf "%s\t%.1f\n", name, ((b - a) - (i1 - i0)) / n }' >>"$OUT/statements-postgres.tsv"
}

# profile_start NAME SCENARIO: 3 s into the scenario about to start, fetch a 10 s CPU
# profile from crn's pprof listener; profile_end NAME waits for it and
# writes the top functions, flat and cumulative, next to it.
profile_start() {
	prof_pid=
	wanted "$2" || return 0
	(sleep 3 && exec curl -fsS --max-time 30 -o "$OUT/cpu-$1.pprof" \
		"http://127.0.0.1:$DEBUG_PORT/debug/pprof/profile?seconds=10") >/dev/null 2>&1 &
	prof_pid=$!
}
profile_end() {
	[ -n "$prof_pid" ] || return 0
	if ! wait "$prof_pid"; then
		log "no CPU profile for $1 (does this crn know CRN_DEBUG_ADDR?)"
		prof_pid=
		return 0
	fi
	prof_pid=
	"$GO" tool pprof -top -nodecount=40 "$CRN" "$OUT/cpu-$1.pprof" >"$OUT/cpu-$1-flat.txt" 2>/dev/null || true
	"$GO" tool pprof -top -cum -nodecount=60 "$CRN" "$OUT/cpu-$1.pprof" >"$OUT/cpu-$1-cum.txt" 2>/dev/null || true
}

# pg_waits_start DIALECT SCENARIO: on PostgreSQL, what the benchmark
# database's backends are doing, sampled 10 times a second for 10 s from 3 s
# into the scenario: counts of state and wait event in waits-SCENARIO.txt
# (ClientRead: idle in a transaction, waiting for crn; Lock: a row or
# advisory lock; IO/LWLock WAL*: commits flushing the WAL).
waits_pid=
pg_waits_start() {
	waits_pid=
	[ "$1" = postgres ] && wanted "$2" || return 0
	local out="$OUT/waits-${2// /-}.txt"
	(
		sleep 3
		# One session for all the samples, so the run's count of new
		# connections stays crn's.
		for _ in $(seq 100); do
			echo "SELECT state, coalesce(wait_event_type, '-'), coalesce(wait_event, '-') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();"
			echo "SELECT pg_sleep(0.1);"
		done | psql -X -q -At -F' ' -d "$db_url" | grep -v '^$' | sort | uniq -c | sort -rn >"$out"
	) >/dev/null 2>&1 &
	waits_pid=$!
}
pg_waits_end() {
	[ -n "$waits_pid" ] || return 0
	wait "$waits_pid" || true
	waits_pid=
}

run_dialect() {
	local dialect=$1 db_url=""
	export CRN_DATA_DIR=$WORK/data-$dialect
	unset CRN_DATABASE_URL
	rm -rf "$CRN_DATA_DIR"
	mkdir -p "$CRN_DATA_DIR"
	if [ "$dialect" = postgres ]; then
		timeout 10 psql -X -q -At -d "$PG_URL" -c 'select 1' >/dev/null 2>&1 ||
			die "PostgreSQL is not reachable at $PG_URL (set LOADTEST_PG_URL, or LOADTEST_DIALECTS=sqlite)"
		pg_db=crn_bench_$(date +%s)_$RANDOM
		psql -X -q -d "$PG_URL" -c "CREATE DATABASE $pg_db" >/dev/null
		[[ $PG_URL =~ ^(postgres(ql)?://[^/?]+)(/[^?]*)?(\?.*)?$ ]] || die "cannot parse LOADTEST_PG_URL"
		db_url="${BASH_REMATCH[1]}/$pg_db${BASH_REMATCH[4]}"
		export CRN_DATABASE_URL=$db_url
		echo "postgres: $(psql -X -At -d "$PG_URL" -c 'show server_version')" >>"$OUT/machine.txt"
	fi

	log "$dialect: seeding the demo community"
	local t0=$SECONDS
	CRN_LOG_LEVEL=error timeout 600 "$CRN" seed --demo >"$OUT/seed-$dialect.log" 2>&1 ||
		die "seed failed: $(tail -5 "$OUT/seed-$dialect.log")"
	log "$dialect: seeded in $((SECONDS - t0))s: $(grep -h 'community:' "$OUT/seed-$dialect.log")"
	start_crn "$dialect"

	# Public forums members may reply in, their topics by replies, and users.
	local forums topics_json
	forums=$(api GET /api/v1/forums | jq -r '(.forums // .)[] | select(.read_visibility == "public" and .reply_policy == "everyone") | .id')
	[ -n "$forums" ] || die "no public forum"
	topics_json=$(for f in $forums; do api GET "/api/v1/forums/$f/topics?sort=top&period=all&limit=100"; done |
		jq -s '[.[] | (.pinned + .topics)[] | select(.locked | not) | select(.closed | not) | select(.archived | not)] | unique_by(.id)')
	local read_topics users
	read_topics=$(jq -r "sort_by(-.highest_post_number, .id) | .[:$READ_TOPICS_N][] | .id" <<<"$topics_json")
	users=$(jq -r "[.[] | .author.username, .last_poster.username] | map(select(. != null and . != \"admin\" and . != \"moderator\" and . != \"product\")) | unique | .[:$WRITERS][]" <<<"$topics_json")
	[ "$(wc -w <<<"$users")" -eq "$WRITERS" ] || die "found only $(wc -w <<<"$users") demo members"

	log "$dialect: signing in $WRITERS members and admin"
	local tokens="" admin_token
	for u in $users; do tokens+="$(login "$u") "; done
	admin_token=$(login admin)
	# The write scenario posts far faster than members may (10-60 posts a
	# minute by trust level): raise the limits to the most moderation
	# allows, so they are still checked on every post but never refuse one.
	api PUT /api/v1/admin/automod "$admin_token" \
		'{"rate_limits":[{"posts_per_minute":10000,"topics_per_day":100000},{"posts_per_minute":10000,"topics_per_day":100000},{"posts_per_minute":10000,"topics_per_day":100000},{"posts_per_minute":10000,"topics_per_day":100000},{"posts_per_minute":10000,"topics_per_day":100000}],"reason":"load test"}' >/dev/null ||
		die "could not raise the rate limits"
	# shellcheck disable=SC2206
	local tok=($tokens)

	# Demo topics have at most 19 posts: top the read topics up through the API.
	local i=0 topic have
	for topic in $read_topics; do
		have=$(api GET "/api/v1/topics/$topic" | jq -r .highest_post_number)
		while [ "$have" -lt "$MIN_POSTS" ]; do
			api POST "/api/v1/topics/$topic/posts" "${tok[i % ${#tok[@]}]}" \
				'{"body":"Same here: the export finishes but the file is empty when the filter has a date range."}' >/dev/null
			have=$((have + 1)) i=$((i + 1))
		done
	done
	local read_paths="" forum_paths=""
	for topic in $read_topics; do read_paths+="/api/v1/topics/$topic/posts?limit=20 "; done
	for f in $forums; do forum_paths+="/api/v1/forums/$f/topics "; done
	for p in $read_paths $forum_paths; do api GET "$p" >/dev/null || die "GET $p failed"; done

	# The ceiling serves the very bytes of crn's first topic page.
	local first_path=${read_paths%% *}
	api GET "$first_path" >"$OUT/ceiling-body-$dialect.json"
	[ "$(jq '.posts | length' "$OUT/ceiling-body-$dialect.json")" -eq 20 ] || die "topic page has fewer than 20 posts"
	"$WORK/crn-ceiling" -addr "127.0.0.1:$CEIL_PORT" -body-file "$OUT/ceiling-body-$dialect.json" >"$OUT/ceiling-$dialect.log" 2>&1 &
	ceil_pid=$!
	wait_ready "http://127.0.0.1:$CEIL_PORT$first_path" "$ceil_pid" || die "crn-ceiling did not start"

	# One topic with 100,000 replies.
	big_forum=${forums%%$'\n'*}
	big_topic=$(api POST "/api/v1/forums/$big_forum/topics" "$admin_token" \
		'{"title":"Load test: one topic with a hundred thousand replies","body":"Every reply below was inserted by .ci/loadtest.sh."}' | jq -er .topic.id)
	log "$dialect: inserting $BIG_REPLIES replies into topic $big_topic (SQL)"
	t0=$SECONDS
	if [ "$dialect" = sqlite ]; then
		bulk_sql sqlite | timeout 300 sqlite3 "$CRN_DATA_DIR/crn.db" >/dev/null
	else
		bulk_sql postgres | timeout 300 psql -X -q -v ON_ERROR_STOP=1 -d "$db_url" >/dev/null
	fi
	log "$dialect: inserted in $((SECONDS - t0))s"
	local last=$((BIG_REPLIES + 1)) big="/api/v1/topics/$big_topic/posts?limit=20"
	[ "$(api GET "/api/v1/topics/$big_topic" | jq .highest_post_number)" -eq "$last" ] || die "big topic has the wrong size"
	cursor() { printf '{"s":"posts","k":%d,"i":1}' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
	local big_first=$big big_mid="$big&cursor=$(cursor 50000)" big_near="$big&near=50000" big_last="$big&cursor=$(cursor $((last - 20)))"
	[ "$(api GET "$big_last" | jq '.posts | length')" -eq 20 ] || die "last page of the big topic is not 20 posts"

	# ---- scenarios
	local read_tokens="${tok[*]}"
	target=http://127.0.0.1:$CEIL_PORT server_pid=$ceil_pid
	run_wrk "$dialect" "ceiling (crn-ceiling)" ceiling "$CONNS" "$DURATION" read.lua LT_PATHS="$read_paths"
	stop_pid "$ceil_pid"
	ceil_pid=
	target=$BASE server_pid=$crn_pid
	profile_start "$dialect-topic-page" "topic page, guest"
	run_wrk "$dialect" "topic page, guest" read "$CONNS" "$DURATION" read.lua LT_PATHS="$read_paths"
	profile_end "$dialect-topic-page"
	run_wrk "$dialect" "topic page, guest, gzip" read "$CONNS" "$SHORT" read.lua LT_PATHS="$read_paths" LT_GZIP=1
	profile_start "$dialect-topic-page-signed-in" "topic page, signed in"
	run_wrk "$dialect" "topic page, signed in" read "$CONNS" "$DURATION" read.lua LT_PATHS="$read_paths" LT_TOKENS="$read_tokens"
	profile_end "$dialect-topic-page-signed-in"
	run_wrk "$dialect" "forum topics, guest" read "$CONNS" "$DURATION" read.lua LT_PATHS="$forum_paths"
	run_wrk "$dialect" "forum topics, signed in" read "$CONNS" "$DURATION" read.lua LT_PATHS="$forum_paths" LT_TOKENS="$read_tokens"
	run_wrk "$dialect" "short topic, page 1" short "$CONNS" "$SHORT" read.lua LT_PATHS="$first_path"
	run_wrk "$dialect" "100k topic, page 1" big "$CONNS" "$SHORT" read.lua LT_PATHS="$big_first"
	run_wrk "$dialect" "100k topic, cursor after 50000" big "$CONNS" "$SHORT" read.lua LT_PATHS="$big_mid"
	run_wrk "$dialect" "100k topic, near=50000" big "$CONNS" "$SHORT" read.lua LT_PATHS="$big_near"
	run_wrk "$dialect" "100k topic, last page" big "$CONNS" "$SHORT" read.lua LT_PATHS="$big_last"
	profile_start "$dialect-create-posts" "create posts"
	pg_waits_start "$dialect" "create posts"
	run_wrk "$dialect" "create posts" write "$WRITERS" "$DURATION" write.lua LT_TOKENS="$read_tokens" LT_TOPICS="$(tr '\n' ' ' <<<"$read_topics")"
	profile_end "$dialect-create-posts"
	pg_waits_end

	if [ "$dialect" = postgres ]; then
		log "postgres: counting statements per request"
		: >"$OUT/statements-postgres.tsv"
		statements_per_request "topic page, guest" "$first_path"
		statements_per_request "topic page, signed in" "$first_path" "${tok[0]}"
		statements_per_request "forum topics, guest" "${forum_paths%% *}"
		statements_per_request "forum topics, signed in" "${forum_paths%% *}" "${tok[0]}"
		statements_per_request "100k topic, near=50000" "$big_near"
	fi

	# wrk drops its connections mid-request when time is up; crn logs those
	# requests as failed with "context canceled" (or, when the request was
	# dialling PostgreSQL, "operation was canceled"). Anything else is worth a look.
	local failed canceled
	failed=$(grep -c '"level":"ERROR".*"msg":"request failed"' "$OUT/crn-$dialect.log" || true)
	canceled=$(grep -c '"level":"ERROR".*"msg":"request failed".*\(context canceled\|operation was canceled\)' "$OUT/crn-$dialect.log" || true)
	log "$dialect: crn logged $failed failed requests, $canceled of them cancelled by wrk at the end of a run"
	if grep -q 'panic' "$OUT/crn-$dialect.log"; then log "$dialect: crn panicked, see $OUT/crn-$dialect.log"; fi
	stop_pid "$crn_pid"
	crn_pid=
	drop_pg_db
	rm -rf "$CRN_DATA_DIR"
}

for d in $DIALECTS; do
	case $d in
	sqlite | postgres) run_dialect "$d" ;;
	*) die "unknown dialect $d (sqlite or postgres)" ;;
	esac
done

# ---------------------------------------------------------------- summary
# Targets: reads at least half the ceiling with p99 under 20 ms; big-topic
# pages at least 0.8 of the short topic's rate with p99 under 20 ms; writes
# at least 1,000 posts/s; no errors anywhere.
summarize() {
	awk -F'\t' '
	function ms(us) { return sprintf("%.2f", us / 1000) }
	{ row[NR] = $0; if ($3 == "ceiling") ceil[$1] = $4 + 0; if ($3 == "short") short[$1] = $4 + 0 }
	END {
		for (i = 1; i <= NR; i++) {
			split(row[i], f, "\t")
			f[4] += 0; f[6] += 0; f[7] += 0
			d = f[1]
			if (d != last) {
				printf "\n%s\n\n| scenario | req/s | p50 ms | p99 ms | errors | ratio to ceiling | server CPU ms/req | PostgreSQL CPU ms/req | other load | new DB conns | target | met? |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n", d
				last = d
			}
			ratio = ceil[d] > 0 ? sprintf("%.2f", f[4] / ceil[d]) : "-"
			if (f[3] == "ceiling") { tgt = "-"; met = "-" }
			else if (f[3] == "read" || f[3] == "short") { tgt = "≥ 0.5 ceiling, p99 < 20 ms"; met = (f[4] >= 0.5 * ceil[d] && f[6] < 20000 && f[7] == 0) ? "yes" : "no" }
			else if (f[3] == "big") { tgt = sprintf("≥ 0.8 short (%.2f), p99 < 20 ms", f[4] / short[d]); met = (f[4] >= 0.8 * short[d] && f[6] < 20000 && f[7] == 0) ? "yes" : "no" }
			else { tgt = "≥ 1000/s, no errors"; met = (f[4] >= 1000 && f[7] == 0) ? "yes" : "no" }
			printf "| %s | %.0f | %s | %s | %d | %s | %.3f | %s | %d%% | %s | %s | %s |\n", f[2], f[4], ms(f[5]), ms(f[6]), f[7], ratio, f[8], (f[12] == "" ? "-" : f[12]), f[9], f[11], tgt, met
		}
	}' "$RESULTS"
}
{
	cat "$OUT/machine.txt"
	summarize
	if [ -s "$OUT/statements-postgres.tsv" ]; then
		printf '\nPostgreSQL statements (committed transactions) per request:\n\n'
		awk -F'\t' '{ printf "  %-28s %s\n", $1, $2 }' "$OUT/statements-postgres.tsv"
	fi
} | tee "$OUT/summary.md"
log "results in $OUT"
