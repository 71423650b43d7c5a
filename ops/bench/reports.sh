#!/usr/bin/env bash
# Reports benchmark: seeds N requests (default 1,000,000) with `partner-portal seed
# --bench`, on SQLite and on PostgreSQL, starts a release build, and measures:
#   - the pipeline page's latency (wrk, 4 connections) as the vendor admin and as a
#     distributor's member;
#   - the full pipeline.csv download as the vendor admin: time, rows/s, and the server's
#     memory growth during the download (peak RSS minus RSS before, sampled);
#   - the same query exported by the database's own tool (sqlite3 -csv, psql \copy).
# Usage: ops/bench/reports.sh [N] [sqlite|postgres|both]
# PostgreSQL: PORTAL_BENCH_PG (default postgres://postgres@127.0.0.1:5432); a fresh
# database is created and dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-1000000}"
WHICH="${2:-both}"
PORT="${PORT:-8182}"
BASE="http://127.0.0.1:$PORT"
PG_SERVER="${PORTAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"

for tool in wrk sqlite3 psql curl; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk sqlite3 postgresql-client curl >/dev/null; break; }
done
cargo build --release --quiet
BIN=target/release/partner-portal
work="$(mktemp -d)"
server=""
pg_db="portal_bench_$$"
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The admin's pipeline download, as the database's own tool would export it.
QUERY="SELECT r.id, r.created_at, o.name, r.kind, r.status, r.title, r.customer_domain, r.amount_cents / 100.0, r.currency, r.discount_bp / 100.0, r.decided_at FROM requests r JOIN organizations o ON o.id = r.org_id WHERE r.kind IN ('deal_registration', 'discount') AND r.status <> 'draft' ORDER BY r.id"

sign_in() { # email jar
  local token
  token=$(curl -fs -c "$2" -b "$2" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -fs -o /dev/null -c "$2" -b "$2" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=$1" --data-urlencode "password=portal-demo" "$BASE/login"
  awk '$6 == "portal_session" { print $7 }' "$2"
}

latency() { # label session
  local out
  out=$(wrk -t1 -c4 -d10s --latency -H "Cookie: portal_session=$2" "$BASE/reports/pipeline")
  printf '| %s | %s | pipeline page as %s | p50 %s, p99 %s, %s req/s |\n' "$DB" "$N" "$1" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out")" "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
    "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
}

rss() { awk '/VmRSS/ { print $2 }' "/proc/$server/status"; }

download() { # session
  local before peak now start end rows
  before=$(rss); peak=$before
  start=$(date +%s.%N)
  curl -fs -H "Cookie: portal_session=$1" -o "$work/portal.csv" "$BASE/reports/pipeline.csv" &
  local curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.05
  done
  wait "$curl_pid"
  end=$(date +%s.%N)
  rows=$(( $(wc -l <"$work/portal.csv") - 1 ))
  awk -v db="$DB" -v n="$N" -v s="$start" -v e="$end" -v rows="$rows" -v b="$before" -v p="$peak" \
    'BEGIN { t = e - s; printf "| %s | %s | pipeline.csv as admin (portal) | %d rows in %.2f s, %.0f rows/s, memory +%.1f MB |\n", db, n, rows, t, rows / t, (p - b) / 1024 }'
}

native() { # command...
  local start end rows
  start=$(date +%s.%N)
  "$@" >"$work/native.csv"
  end=$(date +%s.%N)
  rows=$(( $(wc -l <"$work/native.csv") - 1 ))
  awk -v db="$DB" -v n="$N" -v s="$start" -v e="$end" -v rows="$rows" -v tool="$TOOL" \
    'BEGIN { t = e - s; printf "| %s | %s | same query, %s | %d rows in %.2f s, %.0f rows/s |\n", db, n, tool, rows, t, rows / t }'
}

run() { # url
  local started seeded
  started=$(date +%s.%N)
  seeded=$(PORTAL_DATABASE_URL="$1" RUST_LOG=warn "$BIN" seed --bench --requests "$N")
  echo "$DB: $seeded (wall $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }') s)" >&2
  PORTAL_DATABASE_URL="$1" PORTAL_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  local admin partner
  admin=$(sign_in admin@acme.example "$work/admin.jar")
  partner=$(sign_in "user1@partner$PARTNER.example" "$work/partner.jar")
  latency "vendor admin" "$admin"
  latency "a distributor's member" "$partner"
  download "$admin"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "| database | requests | measure | result |"
echo "| --- | --- | --- | --- |"
if [ "$WHICH" != postgres ]; then
  DB=SQLite
  url="sqlite://$work/bench.db?mode=rwc"
  PARTNER=6 # Distributor 000: the first organization after the demo's five
  run "$url"
  TOOL="sqlite3 -csv"
  native sqlite3 -csv -header "$work/bench.db" "$QUERY"
fi
if [ "$WHICH" != sqlite ]; then
  DB=PostgreSQL
  psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $pg_db"
  PARTNER=6
  run "$PG_SERVER/$pg_db"
  TOOL="psql copy"
  native psql "$PG_SERVER/$pg_db" -qc "\\copy ($QUERY) to stdout csv header"
fi
