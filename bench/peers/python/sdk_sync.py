#!/usr/bin/env python3
"""Copy Auth0 tenant logs to an NDJSON file with the official SDK, auth0-python 6.

Used as its README shows: `GetToken(...).client_credentials(...)` for the
token, then the Management API client's `logs.list(page=..., per_page=...)`.
The SDK has no checkpoint (`from`/`take`) paging for logs, so this walks
search-mode pages (oldest first, `sort=date:1`) until a page is empty or the
API refuses: Auth0 lets page-based log search reach only the first 1,000
results, then answers 400. That stop is reported as "result-cap", not a crash.

Plain-http tenants (the simulator): `GetToken(..., protocol="http")` and the
management client's `base_url=` argument are the SDK's own ways to choose the
scheme; nothing is monkeypatched.

One workaround a team has to add: the SDK's `Log` model declares `scope` as a
string, but Auth0 writes it as an array of strings on some events; the SDK then
raises `ParsingError` for the whole page even though the JSON was fine. The
error carries the decoded body, so the page's events are taken from it (counted
on stderr). `--strict` turns the workaround off and shows the SDK's own
behaviour (it stops on the first such page).

Environment: AUTH0_DOMAIN (http(s)://host[:port] or a bare domain, meaning
https), AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, optional AUTH0_AUDIENCE.
stdout: one JSON summary line at the end; diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from urllib.parse import urlsplit

import httpx
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error, RateLimitError
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError
from auth0.management.core.parse_error import ParsingError

CONTENDER = "python-auth0-sdk"
MAX_RETRIES = 5  # the SDK's own retry loop (429 honours Retry-After / x-ratelimit-reset, 5xx backs off)


class Stats:
    def __init__(self) -> None:
        self.events = 0
        self.requests = 0
        self.status_429 = 0
        self.calls = 0  # logical SDK calls; requests - calls = the SDK's retries
        self.parse_workarounds = 0


def split_domain(domain: str) -> tuple[str, str]:
    """(scheme, host[:port]) from a URL or a bare domain."""
    domain = domain.strip().rstrip("/")
    if "://" not in domain:
        return "https", domain
    parts = urlsplit(domain)
    return parts.scheme, parts.netloc


def log_json(event) -> dict:
    return event.model_dump(mode="json", by_alias=True, exclude_unset=True)


def error_code(body) -> str:
    if isinstance(body, dict):
        return str(body.get("errorCode") or body.get("error") or "")
    return ""


def error_text(body) -> str:
    if isinstance(body, dict):
        return ": ".join(str(body[k]) for k in ("error", "errorCode", "message") if body.get(k))
    return str(body)[:200]


def get_token(scheme: str, host: str, stats: Stats) -> str:
    client_id = os.environ["AUTH0_CLIENT_ID"]
    audience = os.environ.get("AUTH0_AUDIENCE") or f"{scheme}://{host}/api/v2/"
    get_token = GetToken(host, client_id, client_secret=os.environ["AUTH0_CLIENT_SECRET"], protocol=scheme)
    # The SDK's authentication client does not retry; a team retries a 429 here.
    for attempt in range(MAX_RETRIES + 1):
        stats.requests += 1
        try:
            return get_token.client_credentials(audience)["access_token"]
        except RateLimitError as e:
            stats.status_429 += 1
            if attempt == MAX_RETRIES:
                raise
            time.sleep(max(e.reset_at - time.time(), 1.0) if e.reset_at and e.reset_at > 0 else 2**attempt)
    raise AssertionError("unreachable")


def sync(out, take: int, strict: bool, stats: Stats) -> str:
    scheme, host = split_domain(os.environ["AUTH0_DOMAIN"])
    token = get_token(scheme, host, stats)

    def on_response(response: httpx.Response) -> None:
        stats.requests += 1
        if response.status_code == 429:
            stats.status_429 += 1

    http = httpx.Client(timeout=60, event_hooks={"response": [on_response]})
    client = Auth0(base_url=f"{scheme}://{host}/api/v2", token=token, httpx_client=http, max_retries=MAX_RETRIES)

    page = 0
    while True:
        stats.calls += 1
        try:
            pager = client.logs.list(page=page, per_page=take, sort="date:1")
            events = [log_json(e) for e in pager.items or []]
        except ParsingError as e:
            if strict or not isinstance(e.body, dict) or not isinstance(e.body.get("logs"), list):
                cause = str(e.cause).splitlines()[0] if e.cause else "unexpected response"
                return f"error: SDK could not parse page {page} ({stats.events} events so far): {cause}"
            stats.parse_workarounds += 1
            events = e.body["logs"]
        except ApiError as e:
            # Auth0 refuses pages past the first 1,000 results with a 400 (`invalid_paging`
            # in the simulator; the exact code is not documented for logs, so the page
            # position decides).
            if e.status_code == 400 and (error_code(e.body) == "invalid_paging" or (page + 1) * take > 1000):
                print(
                    f"page {page}: API refused page-based paging past 1,000 results "
                    f"({error_text(e.body)}); stopping with {stats.events} events",
                    file=sys.stderr,
                )
                return "result-cap"
            return f"error: page {page}: HTTP {e.status_code} {error_text(e.body)}"
        if not events:
            return "caught-up"
        out.write("".join(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n" for ev in events))
        out.flush()
        stats.events += len(events)
        page += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="NDJSON output file (appended)")
    parser.add_argument("--state", help="accepted for a uniform command line; page paging has no checkpoint")
    parser.add_argument("--take", type=int, default=100, help="events per page (max 100)")
    parser.add_argument("--strict", action="store_true", help="no workaround for the SDK's ParsingError")
    args = parser.parse_args()

    started = time.monotonic()
    stats = Stats()
    try:
        missing = [v for v in ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET") if not os.environ.get(v)]
        if missing:
            stopped = f"error: missing environment variable(s): {', '.join(missing)}"
        elif not 1 <= args.take <= 100:
            stopped = "error: --take must be between 1 and 100"
        else:
            with open(args.out, "a", encoding="utf-8") as out:
                stopped = sync(out, args.take, args.strict, stats)
    except Auth0Error as e:
        stopped = f"error: token request failed: HTTP {e.status_code} {e.error_code}: {e.message}"
    except (httpx.HTTPError, ValueError, OSError) as e:
        stopped = f"error: {type(e).__name__}: {e}"
    except KeyboardInterrupt:
        stopped = "error: interrupted"
    if stats.parse_workarounds:
        print(
            f"note: {stats.parse_workarounds} page(s) failed the SDK's Log model (array `scope`); "
            "their events were taken from ParsingError.body",
            file=sys.stderr,
        )
    if stopped.startswith("error"):
        print(stopped, file=sys.stderr)
    summary = {
        "contender": CONTENDER,
        "events": stats.events,
        "requests": stats.requests,
        "status_429": stats.status_429,
        "retries": max(stats.requests - stats.calls - 1, 0),  # minus the token call's first attempt
        "seconds": round(time.monotonic() - started, 3),
        "stopped": stopped,
    }
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 1 if stopped.startswith("error") else 0


if __name__ == "__main__":
    sys.exit(main())
