#!/usr/bin/env bash
# Load benchmark against a release build on loopback, signed in as bob@blueharbor.example:
#   1. GET /orgs and GET / at 32 connections (wrk), requests/s, p50, p99;
#   2. GET /orgs again while 100 wrong-password sign-ins per second arrive from one
#      address (throttled), and then from many addresses (each one hashed).
# Usage: ops/bench/load.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-15}"
PORT="${PORT:-8181}"
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet

dir="$(mktemp -d)"
PORTAL_DATABASE_URL="sqlite://$dir/bench.db?mode=rwc" PORTAL_BIND="127.0.0.1:$PORT" \
  PORTAL_TRUST_FORWARDED=true RUST_LOG=warn target/release/partner-portal serve --demo >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done

jar="$dir/cookies"
token=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=bob@blueharbor.example" --data-urlencode "password=portal-demo" "$BASE/login"
session=$(awk '$6 == "portal_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "sign-in failed"; exit 1; }

run() { # label path
  local out
  out=$(wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" --latency -H "Cookie: portal_session=$session" "$BASE$2")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "| scenario | requests/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
run "GET /orgs as bob, 32 connections" /orgs
run "GET / as bob, 32 connections" /
python3 ops/bench/flood.py --base "$BASE" --rate 100 --seconds "$((SECONDS_PER_RUN + 4))" >"$dir/flood1.log" &
flood=$!
sleep 2
run "GET /orgs during 100 wrong sign-ins/s from one address" /orgs
wait $flood
python3 ops/bench/flood.py --base "$BASE" --rate 100 --seconds "$((SECONDS_PER_RUN + 4))" --spread >"$dir/flood2.log" &
flood=$!
sleep 2
run "GET /orgs during 100 wrong sign-ins/s from many addresses" /orgs
wait $flood
echo
cat "$dir/flood1.log" "$dir/flood2.log"
