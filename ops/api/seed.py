"""Seeds a running Agora (started with --demo) for ops/api-check, as a client
would: one logged-in user per role, a partner platform, a purchase, a
comment thread, a plan with a member and a trained recommender; on the
outsourcing side the demo vendor's profile, the demo client's requirements
(open with and without a bid, sealed, awarded) and their contracts (one in
progress, one complete). Writes what it made to OUT_DIR:

- tokens.env: `ROLE=TOKEN` lines (learner, creator, admin, auditor, partner,
  vendor, client);
- schemathesis-ROLE.toml: the configuration of ROLE's run (checks,
  phases, examples, warnings that fail the run, and dictionaries of the
  real ids so path parameters name things that exist as often as not:
  a user's own id where a path names a user, as a client names itself);
- skip-ROLE: the operation ids ROLE may not call, by the document's own
  `x-agora-policy` (who may call each operation), one a line: each
  operation is tested as the roles that may call it (tests/permissions
  covers the refusals).

Usage: seed.py BASE_URL OUT_DIR EXAMPLES STRICT
(STRICT=1: a "schema validation mismatch" warning fails the run)
Needs only `requests` (installed with schemathesis). Every call must
succeed; the first that does not stops the script with its answer.
"""

import json
import sys
from pathlib import Path

import requests

PASSWORD = "demo-password"
ADMIN_PASSWORD = "api-check-admin-password"


class Client:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.http = requests.Session()

    def call(self, method, path, token=None, body=None, ok=(200, 201, 204)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, self.base + path, json=body, headers=headers, timeout=60)
        if response.status_code not in ok:
            sys.exit(f"seed: {method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def login(self, user_id, password=PASSWORD):
        return self.call("POST", "/v1/sessions", body={"user_id": user_id, "password": password})["token"]


def main():
    base, out, examples = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    strict = len(sys.argv) > 4 and sys.argv[4] == "1"
    api = Client(base)
    tokens = {
        "learner": api.login("demo-learner"),
        "creator": api.login("demo-creator"),
        "vendor": api.login("demo-vendor"),
        "client": api.login("demo-client"),
        "admin": api.login("api-admin", ADMIN_PASSWORD),
        "auditor": api.login("api-auditor", ADMIN_PASSWORD),
    }
    api.call(
        "POST",
        "/v1/users",
        body={
            "id": "api-partner",
            "display_name": "Pat the Partner",
            "email": "api-partner@example.org",
            "roles": ["partner"],
            "password": PASSWORD,
        },
    )
    tokens["partner"] = api.login("api-partner")
    admin, creator, learner = tokens["admin"], tokens["creator"], tokens["learner"]
    # The user the document's example partner names.
    api.call(
        "POST",
        "/v1/users",
        body={"id": "pat", "display_name": "Pat", "email": "pat@example.org", "roles": ["partner"]},
    )
    api.call(
        "POST",
        "/v1/partners",
        admin,
        {"id": "api-platform", "name": "API Platform", "user_id": "api-partner", "share_bps": 1000},
    )
    api.call(
        "POST",
        "/v1/partners/api-platform/catalog",
        tokens["partner"],
        {
            "items": [
                {
                    "external_id": "x1",
                    "creator_id": "demo-creator",
                    "kind": "article",
                    "title": "Imported article",
                    "body": {"text": "Imported text."},
                    "language": "en",
                    "price": {"amount_cents": 500, "currency": "CNY"},
                }
            ]
        },
    )
    api.call(
        "POST",
        "/v1/contents",
        creator,
        {"id": "api-draft", "kind": "course", "title": "A draft", "body": {"text": "Soon."}, "language": "en"},
    )
    # The coverage phase names things by the shortest id the document
    # allows, "0": a published item, a plan and a user of that id exist.
    api.call(
        "POST",
        "/v1/contents",
        creator,
        {"id": "0", "kind": "article", "title": "Zero", "body": {"text": "Zero."}, "language": "en"},
    )
    api.call("PUT", "/v1/contents/0/price", creator, {"amount_cents": 100, "currency": "CNY"})
    api.call("POST", "/v1/contents/0/publish", creator)
    api.call(
        "POST",
        "/v1/plans",
        creator,
        {"id": "0", "title": "Zero", "period_days": 7, "price": {"amount_cents": 700, "currency": "CNY"}},
    )
    api.call(
        "POST",
        "/v1/users",
        body={"id": "0", "display_name": "Zero", "email": "zero@example.org", "roles": ["learner", "vendor"]},
    )
    purchase = api.call("POST", "/v1/contents/demo-rust-course/purchases", learner)
    api.call("PUT", "/v1/contents/demo-rust-course/rating", learner, {"stars": 4})
    api.call("PUT", "/v1/contents/demo-rust-course/review", learner, {"text": "Clear."})
    api.call("POST", "/v1/contents/demo-rust-course/check-ins", learner, {"note": "Day one"})
    question = api.call(
        "POST", "/v1/contents/demo-rust-course/comments", learner, {"text": "Is day two out?", "is_question": True}
    )
    reply = api.call(
        "POST",
        "/v1/contents/demo-rust-course/comments",
        creator,
        {"text": "Yes.", "parent_id": question["comment_id"]},
    )
    api.call(
        "POST",
        "/v1/plans",
        creator,
        {"id": "api-gold", "title": "Gold", "period_days": 30, "price": {"amount_cents": 3000, "currency": "CNY"}},
    )
    api.call("POST", "/v1/plans/api-gold/subscriptions", learner)
    api.call("POST", "/v1/contents/p-api-platform-x1/purchases", tokens["vendor"])
    api.call("POST", "/v1/admin/recommender:train", admin)
    outsourcing(api, tokens["client"], tokens["vendor"], admin)

    # Real cursors and versions, as a client would have them from an
    # earlier answer.
    cursors = []
    for sort in ["newest", "rating", "sales"]:
        page = api.call("GET", f"/v1/contents?limit=1&sort={sort}")
        cursors += [page["next_cursor"]] if page.get("next_cursor") else []
    afters = []
    for path in ["/v1/contents/demo-rust-course/comments?limit=1", "/v1/plans?limit=1"]:
        page = api.call("GET", path)
        afters += [page["next_after"]] if page.get("next_after") else []
    versions = set()
    for path in [
        "/v1/contents/demo-rust-course",
        "/v1/contents/api-draft",
        "/v1/contents/0",
        "/v1/users/demo-client",
        "/v1/vendors/demo-vendor",
        "/v1/requirements/api-req",
        "/v1/requirements/api-open",
        "/v1/contracts/0",
    ]:
        response = api.http.get(api.base + path, headers={"Authorization": f"Bearer {admin}"}, timeout=60)
        versions.add(response.headers.get("ETag", '"1"'))
    head = api.call("GET", "/readyz")["store"]["head_position"]

    out.mkdir(parents=True, exist_ok=True)
    (out / "tokens.env").write_text("".join(f"{role}={token}\n" for role, token in tokens.items()))
    ids = {
        "contents": ["demo-rust-course", "demo-outsourcing-article", "p-api-platform-x1", "api-draft", "0"],
        "users": ["demo-learner", "demo-creator", "demo-vendor", "demo-client", "api-partner", "api-admin"],
        "plans": ["api-gold", "0"],
        "partners": ["api-platform"],
        "purchases": [purchase["purchase_id"]],
        "comments": [question["comment_id"], reply["comment_id"]],
        "partner_users": ["pat", "api-partner"],
        "positions": sorted({0, 1, head // 2, head}),
        "cursors": cursors or ["n0~0"],
        "afters": afters or ["0"],
        "versions": sorted(versions),
        "times_from": ["1970-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "0"],
        "times_to": ["9999-12-31T23:59:59Z", "2036-01-01T00:00:00Z", "99999999999999999"],
        "days_from": ["2020-01-01", "2026-06-01"],
        "days_to": ["2029-12-31", "2026-12-31"],
        "requirements": ["api-req", "api-open", "api-sealed", "api-done", "0"],
        "contracts": ["0", "api-done"],
        "vendors": ["demo-vendor", "0"],
        "indexes": [0, 1, 2],
    }
    document = api.call("GET", "/openapi.json")
    for role in ["anonymous", *tokens]:
        (out / f"schemathesis-{role}.toml").write_text(config(ids_for(role, ids), examples, strict))
        skip = [
            operation["operationId"]
            for path, methods in document["paths"].items()
            for operation in methods.values()
            if not may_call(role, operation["x-agora-policy"]) or path in CLOSES_ACCOUNT
        ]
        (out / f"skip-{role}").write_text("".join(f"{op}\n" for op in skip))


def outsourcing(api, client, vendor, admin):
    """The demo vendor's profile; the demo client's requirements: api-open
    (no bid, still editable), api-req (public, the vendor's bid),
    api-sealed (sealed, the vendor's bid), 0 (awarded: contract 0 with
    milestone 0 submitted, 1 funded, 2 unfunded) and api-done (awarded,
    its one milestone accepted: the contract is complete, open to
    reviews). User 0 (the id the coverage phase names) is a vendor too,
    its profile set by the admin."""
    profile = {
        "skills": ["rust", "payments"],
        "team_size": 5,
        "capacity": 10,
        "hourly_rate": {"amount_cents": 20000, "currency": "CNY"},
        "portfolio": "Payment systems.",
        "languages": ["en", "zh"],
        "content_ids": [],
    }
    api.call("PUT", "/v1/vendors/demo-vendor", vendor, profile)
    api.call("PUT", "/v1/vendors/0", admin, profile)

    def post(requirement_id, visibility="public"):
        api.call(
            "POST",
            "/v1/requirements",
            client,
            {
                "id": requirement_id,
                "title": f"Requirement {requirement_id}",
                "description": "A payment gateway.",
                "skills": ["rust"],
                "budget": {"min_cents": 1000, "max_cents": 1000000, "currency": "CNY"},
                "deadline_days": 60,
                "bidding_days": 365,
                "visibility": visibility,
            },
        )

    def bid(requirement_id, amounts):
        api.call(
            "POST",
            f"/v1/requirements/{requirement_id}/bids",
            vendor,
            {
                "price": {"amount_cents": sum(amounts), "currency": "CNY"},
                "delivery_days": 30,
                "proposal": "We built three of these.",
                "milestones": [
                    {"title": f"Step {i}", "amount_cents": amount, "due_day": 10 * (i + 1)}
                    for i, amount in enumerate(amounts)
                ],
            },
        )

    post("api-open")
    post("api-req")
    bid("api-req", [3000, 7000])
    post("api-sealed", "sealed")
    bid("api-sealed", [5000])
    post("0")
    bid("0", [1000, 2000, 3000])
    api.call("POST", "/v1/requirements/0/award", client, {"vendor_id": "demo-vendor"})
    api.call("POST", "/v1/contracts/0/milestones/0/fund", client)
    api.call("POST", "/v1/contracts/0/milestones/0/submit", vendor, {"note": "Staging build."})
    api.call("POST", "/v1/contracts/0/milestones/1/fund", client)
    post("api-done")
    bid("api-done", [4000])
    api.call("POST", "/v1/requirements/api-done/award", client, {"vendor_id": "demo-vendor"})
    api.call("POST", "/v1/contracts/api-done/milestones/0/fund", client)
    api.call("POST", "/v1/contracts/api-done/milestones/0/submit", vendor)
    api.call("POST", "/v1/contracts/api-done/milestones/0/accept", client)


# Who of the seeded users can pass what a policy's note says the aggregate
# checks on top of the token (the demo creator made the items and the
# plans; the learner bought an item and holds a plan; the client holds
# none but made the requirements and is the contracts' client; the demo
# vendor bid and is the contracts' vendor; api-partner is the partner's
# account). The longest note that starts a policy's note decides.
NOTES = {
    "the item's creator": {"creator"},
    "the item's creator or an admin": {"creator", "admin"},
    "owners of the item": {"learner"},
    "not the item's creator": {"learner", "vendor", "client", "partner", "admin"},
    "the buyer": {"learner"},
    "the plan's creator, admins": {"creator", "admin", "auditor"},
    "the member, admins": {"learner", "admin"},
    "the partner's account, admins": {"partner", "admin", "auditor"},
    "the requirement's client": {"client"},
    "the requirement's client, admins": {"client", "admin"},
    "the requirement's client, admins, auditors": {"client", "admin", "auditor"},
    "a vendor with a profile, not the requirement's client": {"vendor"},
    "the bid's vendor": {"vendor"},
    "the bid's vendor, admins": {"vendor", "admin"},
    "the contract's client": {"client"},
    "the contract's vendor": {"vendor"},
    "the contract's client or vendor": {"client", "vendor"},
    "the contract's client and vendor, admins, auditors": {"client", "vendor", "admin", "auditor"},
}


# Operations no run sends: erasing personal data closes the account the
# path names, which is the caller's own in every run (its token would
# stop working for the rest of the run). tests/audit covers erasure, and
# tests/permissions who may call it.
CLOSES_ACCOUNT = {"/v1/users/{id}/personal-data"}


# Each role's own account: the user a path names in its run.
OWN_USER = {
    "learner": "demo-learner",
    "creator": "demo-creator",
    "vendor": "demo-vendor",
    "client": "demo-client",
    "partner": "api-partner",
}


def ids_for(role, ids):
    """The dictionaries of `role`'s run: paths that name a user name the
    caller (a learner reads their own library, a creator their own
    statement); admins, auditors and anonymous callers get every user."""
    own = OWN_USER.get(role)
    return {**ids, "users": [own]} if own else ids


def may_call(role, policy):
    """Whether a token of `role` (or none, "anonymous") passes `policy`."""
    if policy["who"] == "anyone":
        return True
    if role == "anonymous" or (role == "auditor" and policy["effect"] == "write"):
        return False
    if policy["who"] == "roles" and role not in policy["roles"]:
        return False
    note = policy.get("note", "")
    starts = [start for start in NOTES if note.startswith(start)]
    if starts:
        return role in NOTES[max(starts, key=len)]
    # any-user, path-user-or-roles (the dictionaries name each role's user)
    return True


def config(ids, examples, strict):
    """The schemathesis configuration (TOML) of one run."""
    lines = [
        "# Written by ops/api/seed.py for ops/api-check.",
        f"generation.max-examples = {examples}",
        "generation.deterministic = true",
        "phases.stateful.max-steps = 12",
        "[checks]",
        "enabled = false",
        "not_a_server_error.enabled = true",
        "status_code_conformance.enabled = true",
        "content_type_conformance.enabled = true",
        "response_schema_conformance.enabled = true",
        "[warnings]",
        f'fail-on = {json.dumps(["validation_mismatch"] if strict else [])}',
    ]
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    # What a client knows from earlier answers (positions written, cursors
    # and versions handed out, a partner user) is used most of the time, so
    # most requests can succeed; the rest is generated and must get a
    # clean 4xx. A min_position is always one written (the coverage phase
    # still sends 0 and the largest u64, and tests/hostile the positions not
    # written yet, 400 at once).
    lines += [
        "[parameters]",
        '"query.min_position" = { dictionary = "positions", probability = 1.0 }',
        '"query.cursor" = { dictionary = "cursors", probability = 0.9 }',
        '"query.after" = { dictionary = "afters", probability = 0.9 }',
        '"header.If-Match" = { dictionary = "versions", probability = 0.9 }',
        '"body.user_id" = { dictionary = "partner_users", probability = 0.9 }',
        '"body.vendor_id" = { dictionary = "vendors", probability = 0.9 }',
    ]
    for regex, start, end in [
        ("/(statement|platform)$", "times_from", "times_to"),
        ("/dashboard$", "days_from", "days_to"),
    ]:
        lines += [
            "[[operations]]",
            f'include-path-regex = "{regex}"',
            f'parameters."query.from" = {{ dictionary = "{start}", probability = 0.9 }}',
            f'parameters."query.to" = {{ dictionary = "{end}", probability = 0.9 }}',
        ]
    # Path parameters name real things half of the time; the rest is
    # generated (and must get a clean 404 or 4xx).
    scoped = [
        ("^/v1/(contents)/", "id", "contents"),
        ("^/v1/(users|creators)/", "id", "users"),
        ("^/v1/plans/", "id", "plans"),
        ("^/v1/partners/", "id", "partners"),
        ("/purchases/", "purchase_id", "purchases"),
        ("/comments/", "comment_id", "comments"),
        ("/subscriptions/", "user", "users"),
        ("^/v1/requirements/", "id", "requirements"),
        ("^/v1/contracts/", "id", "contracts"),
        ("^/v1/vendors/", "id", "vendors"),
        ("/bids/", "vendor_id", "vendors"),
        ("/milestones/", "index", "indexes"),
    ]
    for regex, parameter, dictionary in scoped:
        lines += [
            "[[operations]]",
            f'include-path-regex = "{regex}"',
            f'parameters."path.{parameter}" = {{ dictionary = "{dictionary}", probability = 0.5 }}',
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
