#!/usr/bin/env python3
"""Copy Auth0 tenant logs to an NDJSON file with `requests`: the script a team writes.

Client-credentials token, then checkpoint paging on GET /api/v2/logs
(`from`/`take`, following the `Link: rel="next"` header) until a page comes
back empty. Every event becomes one JSON line in --out; after each page the
last log_id goes to --state so that a rerun continues where this one stopped.

First run (no checkpoint): one search-mode query for the oldest event by
date (`sort=date:1&per_page=1`), which is written, then checkpoint paging
from its log_id. This is the start most peers use (see bench/peers/README.md
for what it can miss).

Environment: AUTH0_DOMAIN (http(s)://host[:port] or a bare domain, meaning
https), AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, optional AUTH0_AUDIENCE.
stdout: one JSON summary line at the end; diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from urllib.parse import urlsplit

import requests

CONTENDER = "python-requests"
MAX_5XX_RETRIES = 5  # per request, for 5xx and network errors
MAX_429_RETRIES = 30  # per request; each waits for the bucket to refill
TIMEOUT = (10, 60)  # connect, read (seconds)


class SyncError(Exception):
    """An unrecoverable failure; the message is safe to print (no secrets)."""


class Stats:
    def __init__(self) -> None:
        self.events = 0
        self.requests = 0
        self.status_429 = 0
        self.retries = 0


def base_url(domain: str) -> str:
    domain = domain.strip().rstrip("/")
    if "://" not in domain:
        return f"https://{domain}"
    parts = urlsplit(domain)
    return f"{parts.scheme}://{parts.netloc}"


def retry_delay(resp: requests.Response, attempt: int) -> float:
    """How long to wait after a 429: Retry-After, else x-ratelimit-reset, else backoff."""
    retry_after = resp.headers.get("retry-after")
    if retry_after and retry_after.strip().isdigit():
        return max(float(retry_after), 0.1)
    reset = resp.headers.get("x-ratelimit-reset")
    if reset and reset.strip().isdigit():
        return min(max(int(reset) - time.time(), 0.1), 60.0)
    return backoff(attempt)


def backoff(attempt: int) -> float:
    return min(0.5 * 2 ** (attempt - 1), 30.0) * (0.8 + 0.4 * random.random())


class Auth0Logs:
    def __init__(self, base: str, client_id: str, client_secret: str, audience: str, stats: Stats):
        self.base = base
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.stats = stats
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "auth0-logs-sync-python/1.0"
        self.token: str | None = None
        self.token_expires = 0.0

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One logical request: retries 429 (after the advertised wait), 5xx and network errors."""
        errors = 0
        limited = 0
        while True:
            self.stats.requests += 1
            try:
                resp = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as e:
                errors += 1
                if errors > MAX_5XX_RETRIES:
                    raise SyncError(f"{method} {url.split('?')[0]}: {type(e).__name__} after {errors} attempts")
                self.stats.retries += 1
                time.sleep(backoff(errors))
                continue
            if resp.status_code == 429:
                self.stats.status_429 += 1
                limited += 1
                if limited > MAX_429_RETRIES:
                    raise SyncError(f"{method} {url.split('?')[0]}: still rate limited after {limited} attempts")
                self.stats.retries += 1
                time.sleep(retry_delay(resp, limited))
                continue
            if resp.status_code >= 500:
                errors += 1
                if errors > MAX_5XX_RETRIES:
                    raise SyncError(f"{method} {url.split('?')[0]}: HTTP {resp.status_code} after {errors} attempts")
                self.stats.retries += 1
                time.sleep(backoff(errors))
                continue
            return resp

    def _fetch_token(self) -> None:
        resp = self._send(
            "POST",
            f"{self.base}/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "audience": self.audience,
            },
        )
        if resp.status_code != 200:
            raise SyncError(f"token request failed: HTTP {resp.status_code} {describe(resp)}")
        body = resp.json()
        self.token = body["access_token"]
        # Refresh a little before it expires, as the official SDKs do.
        self.token_expires = time.monotonic() + float(body.get("expires_in", 86400)) - 10

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        """GET on the Management API with a cached token; a 401 refreshes it once."""
        for attempt in range(2):
            if self.token is None or time.monotonic() >= self.token_expires:
                self._fetch_token()
            resp = self._send("GET", url, params=params, headers={"Authorization": f"Bearer {self.token}"})
            if resp.status_code == 401 and attempt == 0:
                self.token = None
                continue
            if resp.status_code != 200:
                raise SyncError(f"GET {url.split('?')[0]}: HTTP {resp.status_code} {describe(resp)}")
            return resp
        raise AssertionError("unreachable")


def describe(resp: requests.Response) -> str:
    """The error fields of an Auth0 error body (never the whole body)."""
    try:
        body = resp.json()
    except ValueError:
        return resp.reason or ""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "errorCode", "message", "error_description") if body.get(k)]
        return ": ".join(parts)
    return ""


def load_checkpoint(path: str | None) -> str | None:
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("last_log_id")


def save_checkpoint(path: str | None, log_id: str) -> None:
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"last_log_id": log_id, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f)
    os.replace(tmp, path)


def write_events(out, events: list) -> None:
    out.write("".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events))


def sync(api: Auth0Logs, out, state: str | None, take: int, stats: Stats) -> str:
    logs_url = f"{api.base}/api/v2/logs"
    checkpoint = load_checkpoint(state)
    if checkpoint is None:
        # No checkpoint yet: start at the oldest event still retained.
        oldest = api.get(logs_url, params={"sort": "date:1", "per_page": 1}).json()
        if not oldest:
            return "caught-up"
        write_events(out, oldest)
        out.flush()
        stats.events += len(oldest)
        checkpoint = oldest[0]["log_id"]
        save_checkpoint(state, checkpoint)

    url, params = logs_url, {"from": checkpoint, "take": take}
    while True:
        resp = api.get(url, params=params)
        events = resp.json()
        if not events:
            return "caught-up"
        write_events(out, events)
        out.flush()
        stats.events += len(events)
        checkpoint = events[-1]["log_id"]
        save_checkpoint(state, checkpoint)
        nxt = resp.links.get("next", {}).get("url")
        if nxt:
            url, params = nxt, None
        else:
            url, params = logs_url, {"from": checkpoint, "take": take}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="NDJSON output file (appended)")
    parser.add_argument("--state", help="checkpoint file (last log_id)")
    parser.add_argument("--take", type=int, default=100, help="events per page (max 100)")
    args = parser.parse_args()

    started = time.monotonic()
    stats = Stats()
    stopped = "error: not started"
    try:
        missing = [v for v in ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET") if not os.environ.get(v)]
        if missing:
            raise SyncError(f"missing environment variable(s): {', '.join(missing)}")
        if not 1 <= args.take <= 100:
            raise SyncError("--take must be between 1 and 100")
        base = base_url(os.environ["AUTH0_DOMAIN"])
        audience = os.environ.get("AUTH0_AUDIENCE") or f"{base}/api/v2/"
        api = Auth0Logs(base, os.environ["AUTH0_CLIENT_ID"], os.environ["AUTH0_CLIENT_SECRET"], audience, stats)
        with open(args.out, "a", encoding="utf-8") as out:
            stopped = sync(api, out, args.state, args.take, stats)
    except SyncError as e:
        stopped = f"error: {e}"
    except (requests.RequestException, ValueError, KeyError, OSError) as e:
        stopped = f"error: {type(e).__name__}: {e}"
    except KeyboardInterrupt:
        stopped = "error: interrupted"
    if stopped.startswith("error"):
        print(stopped, file=sys.stderr)
    summary = {
        "contender": CONTENDER,
        "events": stats.events,
        "requests": stats.requests,
        "status_429": stats.status_429,
        "retries": stats.retries,
        "seconds": round(time.monotonic() - started, 3),
        "stopped": stopped,
    }
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 1 if stopped.startswith("error") else 0


if __name__ == "__main__":
    sys.exit(main())
