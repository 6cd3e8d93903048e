"""Shows that a client generated from /openapi.json refuses the same bad
inputs the server refuses, before sending them.

Usage: client_check.py BASE_URL MODELS_PY

MODELS_PY is the module datamodel-code-generator wrote from the server's
/openapi.json (pydantic v2 models of every schema and of every operation's
query parameters). For each case the script validates the input with the
generated model, then sends it to the server, and prints both verdicts;
it exits 1 if they disagree.
"""

import importlib.util
import sys

import pydantic
import requests


def load(path):
    spec = importlib.util.spec_from_file_location("agora_models", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["agora_models"] = module
    spec.loader.exec_module(module)
    return module


def client_verdict(model, data):
    try:
        model.model_validate(data)
        return "accepted", ""
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return "refused", f"{where}: {first['msg']}"


def main():
    base, models_path = sys.argv[1].rstrip("/"), sys.argv[2]
    m = load(models_path)
    http = requests.Session()
    token = http.post(
        base + "/v1/sessions", json={"user_id": "demo-creator", "password": "demo-password"}, timeout=30
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    user = {"display_name": "Ada", "email": "ada@example.org", "roles": ["learner"]}
    draft = {"kind": "article", "title": "T", "language": "en"}
    plan = {"title": "Gold", "period_days": 30, "price": {"amount_cents": 100, "currency": "CNY"}}
    cases = [
        # (what, model, data, method, path, query)
        ("user id with a space", m.RegisterBody, {**user, "id": "ada lovelace"}, "POST", "/v1/users", None),
        ("65-character user id", m.RegisterBody, {**user, "id": "a" * 65}, "POST", "/v1/users", None),
        ("password of 7 characters", m.RegisterBody, {**user, "password": "1234567"}, "POST", "/v1/users", None),
        ("e-mail without a dot in the domain", m.RegisterBody, {**user, "email": "ada@example"}, "POST", "/v1/users", None),
        ("blank title", m.DraftBody, {**draft, "title": "   "}, "POST", "/v1/contents", None),
        ("21 tags", m.DraftBody, {**draft, "tags": [f"t{i}" for i in range(21)]}, "POST", "/v1/contents", None),
        ("language 'english'", m.DraftBody, {**draft, "language": "english"}, "POST", "/v1/contents", None),
        ("negative price", m.OfferBody, {**plan, "price": {"amount_cents": -1, "currency": "CNY"}}, "POST", "/v1/plans", None),
        ("price above 10^12", m.OfferBody, {**plan, "price": {"amount_cents": 10**12 + 1, "currency": "CNY"}}, "POST", "/v1/plans", None),
        ("unknown currency", m.OfferBody, {**plan, "price": {"amount_cents": 100, "currency": "XXX"}}, "POST", "/v1/plans", None),
        ("period of 0 days", m.OfferBody, {**plan, "period_days": 0}, "POST", "/v1/plans", None),
        ("k=0", m.GetContentsByIdSimilarParametersQuery, {"k": 0}, "GET", "/v1/contents/demo-rust-course/similar", {"k": 0}),
        ("k=101", m.GetContentsByIdSimilarParametersQuery, {"k": 101}, "GET", "/v1/contents/demo-rust-course/similar", {"k": 101}),
        ("limit=0", m.GetContentsParametersQuery, {"limit": 0}, "GET", "/v1/contents", {"limit": 0}),
        ("statement from year 1969", m.GetCreatorsByIdStatementParametersQuery, {"from": "1969-12-31T00:00:00Z"}, "GET", "/v1/creators/demo-creator/statement", {"from": "1969-12-31T00:00:00Z"}),
        # and one good input of each kind, which both accept
        ("a good user", m.RegisterBody, {**user, "id": "ada-l", "password": "correct-horse"}, "POST", "/v1/users", None),
        ("k=5", m.GetContentsByIdSimilarParametersQuery, {"k": 5}, "GET", "/v1/contents/demo-rust-course/similar", {"k": 5}),
    ]
    disagreements = 0
    print(f"{'input':38} {'generated client':60} server")
    for what, model, data, method, path, query in cases:
        verdict, why = client_verdict(model, data)
        body = None if method == "GET" else data
        response = http.request(method, base + path, json=body, params=query, headers=auth, timeout=30)
        server = "accepted" if response.status_code < 400 else "refused"
        kind = ""
        if server == "refused":
            kind = response.json().get("type", "").removeprefix("urn:agora:problem:")
        ok = verdict == server or (verdict == "accepted" and response.status_code in (401, 403, 404, 409, 503))
        disagreements += 0 if ok else 1
        client_text = f"{verdict} ({why})" if why else verdict
        print(f"{what:38} {client_text[:60]:60} {response.status_code} {kind}{'' if ok else '  <-- DISAGREE'}")
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
