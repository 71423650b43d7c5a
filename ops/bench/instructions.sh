#!/usr/bin/env bash
# CPU instructions the portal spends per page, counted by callgrind: exact and
# repeatable where timings on a shared machine are not, so a before/after of CPU
# work is one number per page. Starts a release build under callgrind on a
# PostgreSQL database seeded with `seed --bench` (not instrumented until asked), signs in as bob,
# warms each page, then counts instructions over COUNT requests of it (the least of
# three rounds) and prints instructions per request (the database server's own work is not counted).
# Usage: ops/bench/instructions.sh [path ...]   (default: / /requests /approvals /orgs)
# PG_DB=name reuses a seeded database; COUNT (default 100) requests per page.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT="${PORT:-8185}"
BASE="http://127.0.0.1:$PORT"
COUNT="${COUNT:-100}"
PG_SERVER="${PORTAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
[ "$#" -gt 0 ] || set -- / /requests /approvals /orgs

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
cargo build --release --quiet
BIN=target/release/partner-portal
work="$(mktemp -d)"
server=""
db="${PG_DB:-}"
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -z "${PG_DB:-}" ] && [ -n "$db" ] && psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$db" ]; then
  db="portal_instructions_$$"
  psql "$PG_SERVER/postgres" -qc "CREATE DATABASE \"$db\""
  PORTAL_DATABASE_URL="$PG_SERVER/$db" "$BIN" seed --bench --requests 20000 --partners 500 >/dev/null
fi

PORTAL_DATABASE_URL="$PG_SERVER/$db" PORTAL_BIND="127.0.0.1:$PORT" RUST_LOG=warn \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.%p" \
  "$BIN" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 600); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

jar="$work/jar"
token=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=bob@blueharbor.example" --data-urlencode "password=portal-demo" "$BASE/login"

echo "| page (as bob) | instructions per request |"
echo "| --- | --- |"
for path in "$@"; do
  for _ in $(seq 20); do curl -fs -o /dev/null -b "$jar" "$BASE$path"; done
  # The least of three rounds: the portal's periodic work (mail, escalations, every
  # 30 s) lands in some rounds, slowed down like everything under callgrind.
  best=""
  for round in 1 2 3; do
    callgrind_control -i on "$server" >/dev/null 2>&1
    callgrind_control -z "$server" >/dev/null 2>&1
    for _ in $(seq "$COUNT"); do curl -fs -o /dev/null -b "$jar" "$BASE$path"; done
    rm -f "$work"/callgrind.*
    callgrind_control -d "$server" >/dev/null 2>&1
    callgrind_control -i off "$server" >/dev/null 2>&1
    file=$(ls "$work"/callgrind.* | head -1)
    total=$(awk '/^summary:/ { print $2 }' "$file")
    if [ -z "$best" ] || [ "$total" -lt "$best" ]; then
      best=$total
      [ -z "${KEEP:-}" ] || cp "$file" "${KEEP}$(echo "$path" | tr '/?=&' '____')"
    fi
  done
  printf '| `%s` | %s |\n' "$path" "$((best / COUNT))"
done
