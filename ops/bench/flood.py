#!/usr/bin/env python3
"""Sends wrong-password sign-ins to a local Partner Portal at a steady rate.

With --spread, each attempt claims a different client address in X-Forwarded-For
(the portal must run with PORTAL_TRUST_FORWARDED=true), as a distributed attack
would, so that per-address throttling does not stop it and every attempt is hashed.
Bounded in count and time; loopback only.
"""
import argparse
import collections
import concurrent.futures
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8181")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--spread", action="store_true")
    args = parser.parse_args()
    if not re.match(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$", args.base):
        raise SystemExit("flood.py only targets the loopback interface")

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(args.base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    statuses = collections.Counter()
    lock = threading.Lock()

    def attempt(n: int) -> None:
        body = urllib.parse.urlencode(
            {"csrf_token": token, "email": f"flood{n % 500}@attack.example", "password": "wrong password"}
        ).encode()
        req = urllib.request.Request(args.base + "/login", data=body, method="POST")
        req.add_header("Cookie", cookie)
        if args.spread:
            req.add_header("X-Forwarded-For", f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status = resp.status
        except urllib.error.HTTPError as err:
            status = err.code
        except Exception:  # noqa: BLE001 - counted, not fatal
            status = "error"
        with lock:
            statuses[status] += 1

    total = int(args.rate * args.seconds)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(attempt, n)
    elapsed = time.monotonic() - start
    print(f"flood: {total} attempts in {elapsed:.1f}s, statuses {dict(statuses)}")


if __name__ == "__main__":
    main()
