//! Hostile input over real TCP (issue 17): every mutating route refuses
//! auditors and anonymous callers before it reads a body; malformed, huge
//! and out-of-range requests get a problem document and change nothing;
//! login abuse cannot lock an account's owner out; and after all of it the
//! server still answers `/readyz` 200 — no 5xx, no dropped connection, no
//! read model stopped.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{PASSWORD, Shop, draft};
use crate::permissions::{events_appended, with_admin_and_auditor};
use crate::users::login;

/// A request and what it must get.
struct Case {
    method: Method,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
    token: Option<String>,
    expect: &'static [u16],
}

fn case(
    method: Method,
    path: &str,
    body: &[u8],
    token: Option<&str>,
    expect: &'static [u16],
) -> Case {
    Case {
        method,
        path: path.to_owned(),
        content_type: "application/json",
        body: body.to_vec(),
        token: token.map(str::to_owned),
        expect,
    }
}

/// Sends `case`; answers the status (a dropped connection fails the test).
async fn send(shop: &Shop, case: &Case) -> (StatusCode, String) {
    let mut request = shop
        .client
        .request(case.method.clone(), shop.server.at(&case.path))
        .header("content-type", case.content_type);
    if let Some(token) = &case.token {
        request = request.bearer_auth(token);
    }
    if !case.body.is_empty() {
        request = request.body(case.body.clone());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: no answer: {e}", case.method, case.path));
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        assert_eq!(
            problem.as_deref(),
            Some("application/problem+json"),
            "{} {} -> {status}: {text}",
            case.method,
            case.path
        );
    }
    (status, text)
}

/// `/readyz` answers 200: every read model is running and caught up.
async fn assert_ready(shop: &Shop) {
    let (status, body) = shop.send(Method::GET, "/readyz", None, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "readyz: {body}");
}

/// Every non-GET operation of the served document, with its path's
/// parameters filled in.
async fn mutating_operations(shop: &Shop) -> Vec<(Method, String)> {
    let document = shop.get("/openapi.json", None, StatusCode::OK).await;
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().expect("paths") {
        let path: String = template
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                operations.push((method, path.clone()));
            }
        }
    }
    assert!(operations.len() > 30, "{operations:?}");
    operations
}

#[tokio::test]
async fn every_mutating_route_refuses_auditors_and_strangers_before_reading_the_body() {
    let shop = with_admin_and_auditor();
    let auditor = login(&shop.client, &shop.server, "aud", PASSWORD).await;
    let before = events_appended(&shop).await;
    // A body no handler could parse: the policy answers before any reads it.
    let junk = b"{\"items\": [1, 2, 3".to_vec();
    for (method, path) in mutating_operations(&shop).await {
        let session = path.starts_with("/v1/sessions");
        let public = path == "/v1/users" || path == "/v1/sessions";
        // Logging out would end the auditor's session for the rest.
        if !session {
            let as_auditor = Case {
                token: Some(auditor.clone()),
                ..case(method.clone(), &path, &junk, None, &[])
            };
            let (status, text) = send(&shop, &as_auditor).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "auditor {method} {path}: {text}"
            );
            assert!(text.contains("auditors read, never write"), "{text}");
        }
        if !public {
            let anonymous = case(method.clone(), &path, &junk, None, &[]);
            let (status, text) = send(&shop, &anonymous).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "anonymous {method} {path}: {text}"
            );
        }
    }
    assert_eq!(
        events_appended(&shop).await,
        before,
        "a refused request wrote"
    );
    assert_ready(&shop).await;
}

#[tokio::test]
async fn malformed_huge_and_out_of_range_requests_get_problems_and_change_nothing() {
    let shop = Shop::open();
    let cora = shop.user("cora", &["creator"]).await;
    let lin = shop.user("lin", &["learner"]).await;
    shop.publish(&cora, draft("c1", "article", "One", "", &[], "en"), 500)
        .await;
    shop.command(
        Method::POST,
        "/v1/contents",
        &cora,
        draft("secret", "article", "Draft", "", &[], "en"),
    )
    .await;
    // Chinese text goes in and comes back whole.
    let question = "这门课的第二章什么时候上线？";
    let posted = shop
        .command(
            Method::POST,
            "/v1/contents/c1/comments",
            &lin,
            json!({"text": question, "is_question": true}),
        )
        .await;
    let position = posted["position"].as_u64().expect("position");
    let threads = shop
        .get(
            &format!("/v1/contents/c1/comments?min_position={position}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(threads["threads"][0]["text"], question, "{threads}");
    let before = events_appended(&shop).await;
    let huge = vec![b'x'; 3 << 20];
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let long_id = "a".repeat(5_000);
    let (c, l) = (Some(cora.as_str()), Some(lin.as_str()));
    let mut cases = vec![
        // Bodies: not JSON, wrong type, unknown fields, too large, too deep.
        case(Method::POST, "/v1/contents", b"{", c, &[400]),
        case(Method::POST, "/v1/contents", b"[]", c, &[400]),
        case(
            Method::POST,
            "/v1/contents",
            b"{\"kind\": \"article\", \"x\": 1}",
            c,
            &[400],
        ),
        case(Method::POST, "/v1/contents", &huge, c, &[413]),
        case(Method::POST, "/v1/contents", nested.as_bytes(), c, &[400]),
        case(
            Method::PUT,
            "/v1/contents/c1/rating",
            b"{\"stars\": 1e400}",
            l,
            &[400],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/rating",
            b"{\"stars\": -1}",
            l,
            &[400],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/rating",
            b"{\"stars\": 300}",
            l,
            &[400],
        ),
        // Money: past the ceiling, past u64, negative, unknown currency.
        case(
            Method::PUT,
            "/v1/contents/c1/price",
            b"{\"amount_cents\": 18446744073709551615, \"currency\": \"CNY\"}",
            c,
            &[422],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/price",
            b"{\"amount_cents\": 1000000000001, \"currency\": \"CNY\"}",
            c,
            &[422],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/price",
            b"{\"amount_cents\": 18446744073709551616, \"currency\": \"CNY\"}",
            c,
            &[400],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/price",
            b"{\"amount_cents\": -5, \"currency\": \"CNY\"}",
            c,
            &[400],
        ),
        case(
            Method::PUT,
            "/v1/contents/c1/price",
            b"{\"amount_cents\": 100, \"currency\": \"ZZZ\"}",
            c,
            &[422],
        ),
        // Times: before 1970, past 9999, past i64.
        case(
            Method::GET,
            "/v1/creators/cora/statement?from=-1",
            b"",
            c,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/creators/cora/statement?from=-9223372036854775808",
            b"",
            c,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/creators/cora/statement?to=9223372036854775807",
            b"",
            c,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/creators/cora/statement?to=10000-01-01T00:00:00Z",
            b"",
            c,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/creators/cora/dashboard?from=0001-01-01&to=9999-12-31",
            b"",
            c,
            &[422],
        ),
        // Positions and numbers out of range.
        case(
            Method::GET,
            "/v1/contents/c1?min_position=18446744073709551615",
            b"",
            None,
            &[400],
        ),
        case(Method::GET, "/v1/contents?limit=-1", b"", None, &[400]),
        case(
            Method::GET,
            "/v1/contents?limit=99999999999999999999999",
            b"",
            None,
            &[400],
        ),
        // The discussion reads: page bounds, cursors, drafts.
        case(
            Method::GET,
            "/v1/contents/c1/reviews?limit=0",
            b"",
            None,
            &[422],
        ),
        case(
            Method::GET,
            "/v1/contents/c1/comments?limit=99999999999999999999",
            b"",
            None,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/contents/c1/comments?after=abc",
            b"",
            None,
            &[400],
        ),
        case(
            Method::GET,
            "/v1/contents/c1/reviews?min_position=18446744073709551615",
            b"",
            None,
            &[400],
        ),
        case(Method::GET, "/v1/contents/secret/comments", b"", l, &[404]),
        case(
            Method::GET,
            "/v1/contents/secret/reviews",
            b"",
            None,
            &[404],
        ),
        // Paths: long ids, encoded separators, NUL.
        case(
            Method::GET,
            &format!("/v1/contents/{long_id}"),
            b"",
            None,
            &[400, 404, 414, 431],
        ),
        case(
            Method::GET,
            "/v1/contents/..%2F..%2Fetc%2Fpasswd",
            b"",
            None,
            &[400, 404],
        ),
        case(Method::GET, "/v1/contents/a%00b", b"", None, &[400, 404]),
        case(
            Method::POST,
            &format!("/v1/contents/{long_id}/purchases"),
            b"",
            l,
            &[400, 404, 414, 431],
        ),
        // Someone else's draft is as absent as an unknown item.
        case(
            Method::POST,
            "/v1/contents/secret/purchases",
            b"",
            l,
            &[404],
        ),
        case(
            Method::POST,
            "/v1/contents/nothing/purchases",
            b"",
            l,
            &[404],
        ),
        case(Method::GET, "/v1/contents/secret", b"", l, &[404]),
        // Cross-user reads and writes.
        case(Method::GET, "/v1/users/cora/library", b"", l, &[403]),
        case(Method::GET, "/v1/creators/cora/statement", b"", l, &[403]),
        case(
            Method::PATCH,
            "/v1/users/cora",
            b"{\"display_name\": \"Mallory\"}",
            l,
            &[403],
        ),
        case(
            Method::PATCH,
            "/v1/contents/c1",
            b"{\"title\": \"Mine\"}",
            l,
            &[403],
        ),
        // A catalog import from someone who is no partner: refused before
        // the (large) body is read.
        case(Method::POST, "/v1/partners/p1/catalog", &huge, l, &[403]),
        // Headers.
        Case {
            content_type: "text/plain",
            ..case(Method::POST, "/v1/contents", b"{}", c, &[415])
        },
        Case {
            token: Some("not-a-token".into()),
            ..case(Method::POST, "/v1/contents", b"{}", None, &[401])
        },
    ];
    cases.push(case(
        Method::POST,
        "/v1/admin/clock",
        b"{\"set_micros\": -1}",
        c,
        &[403],
    ));
    for case in &cases {
        let (status, text) = send(&shop, case).await;
        assert!(
            case.expect.contains(&status.as_u16()),
            "{} {} -> {status} (expected {:?}): {text}",
            case.method,
            &case.path[..case.path.len().min(80)],
            case.expect
        );
    }
    assert_eq!(
        events_appended(&shop).await,
        before,
        "a refused request wrote"
    );
    assert_ready(&shop).await;
}

#[tokio::test]
async fn the_admin_clock_refuses_times_outside_the_calendar() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let root = Some(root.as_str());
    for body in [
        &br#"{"set_micros": -1}"#[..],
        br#"{"set_micros": 9223372036854775807}"#,
        br#"{"advance_secs": 18446744073709551615}"#,
        br#"{"advance_secs": 9000000000000}"#,
    ] {
        let (status, text) = send(
            &shop,
            &case(Method::POST, "/v1/admin/clock", body, root, &[]),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}: {text}",
            String::from_utf8_lossy(body)
        );
        assert!(text.contains("time-out-of-range"), "{text}");
    }
    let clock = shop.get("/v1/admin/clock", root, StatusCode::OK).await;
    assert!(
        clock["now"].as_str().is_some_and(|t| t.starts_with('2')),
        "{clock}"
    );
    assert_ready(&shop).await;
}

/// A client whose connections come from `address` (a loopback address of
/// its own, so the server sees another client).
fn client_from(address: [u8; 4]) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(address)))
        .build()
        .expect("client")
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
    let shop = Shop::open();
    shop.user("lin", &["learner"]).await;
    let attacker = client_from([127, 0, 0, 2]);
    let mut refused = None;
    for attempt in 0..8 {
        let response = attacker
            .post(shop.server.at("/v1/sessions"))
            .json(&json!({"user_id": "lin", "password": "wrong-password!"}))
            .send()
            .await
            .expect("login");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            refused = Some(attempt);
            break;
        }
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(refused, Some(5), "the attacker is limited after five tries");
    // The owner, from their own address, still gets in.
    login(&shop.client, &shop.server, "lin", PASSWORD).await;
    // An id no account can have is refused without keeping it anywhere.
    let huge_id = "u".repeat(1 << 20);
    let response = attacker
        .post(shop.server.at("/v1/sessions"))
        .json(&json!({"user_id": huge_id, "password": "x"}))
        .send()
        .await
        .expect("login");
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::PAYLOAD_TOO_LARGE].contains(&response.status()),
        "{}",
        response.status()
    );
    assert_ready(&shop).await;
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let shop = Shop::open();
    let flooder = client_from([127, 0, 0, 3]);
    let mut limited = false;
    for i in 0..80 {
        let body = json!({
            "id": format!("bot{i}"), "display_name": "Bot",
            "email": format!("bot{i}@example.org"), "roles": ["learner"],
        });
        let response = flooder
            .post(shop.server.at("/v1/users"))
            .json(&body)
            .send()
            .await
            .expect("register");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            assert!(i >= 60, "refused after {i}");
            limited = true;
            break;
        }
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    assert!(
        limited,
        "80 registrations a minute from one address were all accepted"
    );
    // Another address still registers.
    shop.user("honest", &["learner"]).await;
    assert_ready(&shop).await;
}
