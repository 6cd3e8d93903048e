"""Schemathesis hooks for ops/api-check: send the version a client would.

A client that changes an item sends `If-Match` with the ETag it read last
(GET the item, then PATCH it). The generated versions were real when the
seed read them, but every run moves the items on, so most would be stale
by the time they are sent and every change would be refused with 412.
This hook reads the aggregate's current ETag (with the case's own token)
just before a well-formed `If-Match` is sent and puts it in its place, as
that client would. Malformed values are never touched (they must get
400); when the GET answers 404 (an id that does not exist, a draft of
someone else) no client has a version of it, so If-Match is left out (the
server's 404 or 403 is then about the id, not a made-up version); any
other failure sends the generated version as it is. Stale versions
(412) are tested in tests/ (`tests/contents`, `tests/users`).

Loaded with SCHEMATHESIS_HOOKS=ops/api/hooks.py; API_CHECK_URL is the
server's base URL.
"""

import os
import re

import requests
import schemathesis

BASE = os.environ["API_CHECK_URL"].rstrip("/")
# The aggregate a versioned route changes: /v1/contents/{id}[/…],
# /v1/users/{id}, /v1/vendors/{id}, /v1/requirements/{id}[/…] (bids are in
# the requirement's stream) and /v1/contracts/{id}[/…]; its GET answers the
# version as the ETag.
AGGREGATE = re.compile(r"^(/v1/(?:contents|users|vendors|requirements|contracts)/[^/?]+)")
VERSION = re.compile(r'"?[0-9]{1,19}"?')
SESSION = requests.Session()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    if not headers or not isinstance(headers.get("If-Match"), str):
        return
    if not VERSION.fullmatch(headers["If-Match"]):
        return
    aggregate = AGGREGATE.match(case.formatted_path)
    if aggregate is None:
        return
    token = headers.get("Authorization") or (kwargs.get("headers") or {}).get("Authorization")
    response = SESSION.get(
        BASE + aggregate.group(1),
        headers={"Authorization": token} if token else {},
        timeout=30,
    )
    etag = response.headers.get("ETag")
    if response.status_code == 404:
        del headers["If-Match"]
    elif response.ok and etag:
        headers["If-Match"] = etag
