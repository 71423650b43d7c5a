#!/usr/bin/env bash
# Page benchmark at a large vendor's size: seeds `partner-portal seed --bench --requests
# N --partners P` (default 1,000,000 and 20,000) on SQLite and on PostgreSQL, starts a
# release build on each, and
#   - times every page each role reaches, single-user (ops/bench/pages.rs; budget p99
#     ≤ 50 ms), signed in as the vendor admin, finance, a channel manager, a
#     distributor's admin, a reseller's member and a viewer of the bench data set;
#   - on PostgreSQL, runs wrk (2 threads, 32 connections, 10 s) on the busiest pages as
#     bob (a demo member) and as the vendor admin (budgets: ≥ 3,000 and ≥ 1,000
#     requests/s, p99 ≤ 50 ms);
#   - with DJANGO=1, runs the Django peer's bench.sh on the same machine right after,
#     for the ratio on /orgs and /requests.
# Exits non-zero when a budget is missed. Usage:
#   ops/bench/pages.sh [N] [P] [sqlite|postgres|both]
# DB_FILE=/path/big.db reuses a seeded SQLite file; PG_DB=name reuses a seeded database.
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-1000000}"
P="${2:-20000}"
WHICH="${3:-both}"
PORT="${PORT:-8184}"
BASE="http://127.0.0.1:$PORT"
# The database on this host is reached through its Unix socket when it has one (the
# README's PostgreSQL section: TCP on the loopback cost a fifth of a member's list
# throughput); PORTAL_BENCH_PG=postgres://user@host:port names another server.
PG_SOCKET="${PG_SOCKET:-/var/run/postgresql}"
pg_url() { # database → URL
  if [ -n "${PORTAL_BENCH_PG:-}" ]; then echo "$PORTAL_BENCH_PG/$1"
  elif [ -S "$PG_SOCKET/.s.PGSQL.5432" ]; then echo "postgres://postgres@localhost/$1?host=$PG_SOCKET"
  else echo "postgres://postgres@127.0.0.1:5432/$1"; fi
}

for tool in wrk psql curl sqlite3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk postgresql-client curl sqlite3 >/dev/null; break; }
done
cargo build --release --quiet
cargo bench --bench pages --no-run --quiet 2>/dev/null
BIN=target/release/partner-portal
work="$(mktemp -d)"
server=""
failed=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

sign_in() { # email → session cookie value
  local jar="$work/jar" token
  rm -f "$jar"
  token=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=$1" --data-urlencode "password=portal-demo" "$BASE/login"
  awk '$6 == "portal_session" { print $7 }' "$jar"
}

# The bench data set's people: a distributor's admin, a reseller's member and viewer.
roles() { # database url
  local q="SELECT MIN(o.id) FROM organizations o WHERE o.name = 'Distributor 000'"
  local dist reseller
  if [[ "$1" == sqlite* ]]; then
    local file="${1#sqlite://}"; file="${file%%\?*}"
    dist=$(sqlite3 "$file" "$q")
    reseller=$(sqlite3 "$file" "SELECT id FROM organizations WHERE name = 'Reseller 000-1'")
  else
    dist=$(psql "$1" -Atc "$q"); reseller=$(psql "$1" -Atc "SELECT id FROM organizations WHERE name = 'Reseller 000-1'")
  fi
  echo "vendor admin=admin@acme.example,finance=finance@acme.example,channel manager=channel0@acme.example,partner admin=user0@partner$dist.example,member=user1@partner$reseller.example,viewer=user4@partner$reseller.example"
}

throughput() { # label session path min_rps
  local out rps p99
  wrk -t2 -c8 -d2s -H "Cookie: portal_session=$2" "$BASE$3" >/dev/null
  out=$(wrk -t2 -c32 -d10s --latency -H "Cookie: portal_session=$2" "$BASE$3")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  local ok=yes
  awk -v r="$rps" -v m="$4" 'BEGIN { exit !(r >= m) }' || ok="**no**"
  case "$p99" in *s) [[ "$p99" == *ms ]] && awk -v p="${p99%ms}" 'BEGIN { exit !(p <= 50) }' || ok="**no**";; esac
  [ "$ok" = yes ] || failed=1
  printf '| %s | %s | %s req/s | p50 %s, p99 %s | %s |\n' "$1" "$3" "$rps" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" "$p99" "$ok"
}

run() { # label url
  local started
  if [ -z "${REUSE:-}" ]; then
    started=$(date +%s)
    PORTAL_DATABASE_URL="$2" RUST_LOG=warn "$BIN" seed --bench --requests "$N" --partners "$P" >&2
    echo "$1: seeded in $(( $(date +%s) - started )) s" >&2
  fi
  PORTAL_DATABASE_URL="$2" PORTAL_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  PAGES_BASE="$BASE" PAGES_DB="$1" PAGES_ROLES="$(roles "$2")" cargo bench --bench pages --quiet || failed=1
  if [ "$1" = PostgreSQL ]; then
    local bob admin
    bob=$(sign_in bob@blueharbor.example); admin=$(sign_in admin@acme.example)
    echo
    echo "| who | page | throughput | latency | within budget |"
    echo "| --- | --- | --- | --- | --- |"
    for path in / /requests /approvals /orgs; do throughput "bob" "$bob" "$path" 3000; done
    for path in / /requests /approvals /orgs; do throughput "vendor admin" "$admin" "$path" 1000; done
    local blue request
    blue=$(psql "$2" -Atc "SELECT id FROM organizations WHERE name = 'Blue Harbor IT'")
    request=$(psql "$2" -Atc "SELECT MIN(id) FROM requests WHERE org_id = $blue")
    for path in "/orgs/$blue" "/requests/$request" /reports/pipeline; do throughput "bob" "$bob" "$path" 0; done
  fi
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  # An engine error answers a page as if refused; the run fails on any.
  if grep -q "policy evaluation" "$work/server.log"; then
    echo "$1: the policy engine failed during the run:" >&2
    grep "policy evaluation" "$work/server.log" | head -5 >&2
    failed=1
  fi
}

if [ "$WHICH" != postgres ]; then
  db_file="${DB_FILE:-$work/bench.db}"
  [ -n "${DB_FILE:-}" ] && REUSE=1
  run SQLite "sqlite://$db_file?mode=rwc"
  unset REUSE
fi
if [ "$WHICH" != sqlite ]; then
  pg_db="${PG_DB:-portal_pages_$$}"
  if [ -n "${PG_DB:-}" ]; then REUSE=1; else psql "$(pg_url postgres)" -qc "CREATE DATABASE $pg_db"; fi
  run PostgreSQL "$(pg_url "$pg_db")"
  [ -z "${PG_DB:-}" ] && psql "$(pg_url postgres)" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"
fi
if [ "${DJANGO:-0}" = 1 ]; then
  echo
  # The peer reaches the database the same way (libpq reads PGHOST).
  if [ -z "${PORTAL_BENCH_PG:-}" ] && [ -S "$PG_SOCKET/.s.PGSQL.5432" ]; then
    PGHOST="$PG_SOCKET" ../shared/peers/django-portal/run.sh "$N"
  else
    ../shared/peers/django-portal/run.sh "$N"
  fi
fi
exit "$failed"
