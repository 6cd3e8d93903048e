//! `agora serve` over real TCP: the printed URL, the probes, problem
//! documents, and a clean stop on SIGTERM.

use crate::common::Sandbox;

#[tokio::test]
async fn serve_on_port_0_prints_its_url_and_answers_the_probes() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let client = reqwest::Client::new();

    let healthz = client
        .get(server.at("/healthz"))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(healthz.status(), 200);
    assert_eq!(healthz.text().await.expect("body"), "ok");

    let readyz = client
        .get(server.at("/readyz"))
        .send()
        .await
        .expect("GET /readyz");
    assert_eq!(readyz.status(), 200);
    let ready: serde_json::Value = readyz.json().await.expect("JSON body");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["store"]["events"], 0);
    assert_eq!(ready["store"]["head_position"], serde_json::Value::Null);

    // A route with a parameter, and a path no route has.
    for (path, status) in [("/v1/contents/no-such-item", 404), ("/no/such/route", 404)] {
        let answer = client.get(server.at(path)).send().await.expect("GET");
        assert_eq!(answer.status(), status, "{path}");
    }

    let metrics = client
        .get(server.at("/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(metrics.status(), 200);
    let content_type = metrics.headers()["content-type"]
        .to_str()
        .expect("ASCII header")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = metrics.text().await.expect("body");
    for family in [
        "agora_events_appended_total",
        "agora_log_commits_total",
        "agora_log_bytes_written_total",
        "agora_log_head_position",
        "agora_log_streams",
        "agora_store_open_seconds",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} missing:\n{text}"
        );
    }
    // Requests are counted and timed by route.
    assert!(
        text.contains(
            "agora_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "agora_http_request_duration_seconds_count{route=\"/readyz\",method=\"GET\"} 1\n"
        ),
        "{text}"
    );
    // Labelled by the template the router matched, never by the raw path.
    for line in [
        "agora_http_requests_total{route=\"/v1/contents/{id}\",method=\"GET\",status=\"404\"} 1\n",
        "agora_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("no-such"), "{text}");
}

#[tokio::test]
async fn unknown_routes_are_problem_documents() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let response = reqwest::get(server.at("/no/such/route"))
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(problem["type"], "urn:agora:problem:not-found");
    assert_eq!(problem["status"], 404);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/no/such/route")),
        "{problem}"
    );
}

#[test]
fn sigterm_stops_the_server_and_closes_the_store() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let log_before = server.log();
    let status = server.terminate();
    assert!(
        status.success(),
        "exit status {status}; log before:\n{log_before}"
    );
    // The lock was released: the store opens again.
    let mut args = vec!["verify".to_string()];
    args.extend(sandbox.data_dir_args());
    sandbox.run(args).success();
}

/// Garbage of every shape against every route: each gets a 4xx problem
/// document (never a 5xx or a dropped connection), and the server stays up.
#[tokio::test]
async fn malformed_input_never_breaks_the_server() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = reqwest::Client::new();
    let deep_nesting = "[".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        deep_nesting.into_bytes(),
        b"{\"display_name\": 1e999999, \"roles\": [\"\\ud800\"]}".to_vec(),
        br#"{"user_id": "a", "password": "b", "extra": {"nested": [1, 2, 3]}}"#.to_vec(),
    ];
    client
        .post(server.at("/v1/users"))
        .json(&serde_json::json!({"id": "x", "display_name": "X", "email": "x@example.org", "roles": ["creator"], "password": "x-password-1"}))
        .send()
        .await
        .expect("register");
    let session: serde_json::Value = client
        .post(server.at("/v1/sessions"))
        .json(&serde_json::json!({"user_id": "x", "password": "x-password-1"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("session");
    let token = format!("Bearer {}", session["token"].as_str().expect("token"));
    let routes = [
        ("POST", "/v1/users"),
        ("PATCH", "/v1/users/x"),
        ("POST", "/v1/sessions"),
        ("POST", "/v1/contents"),
        ("PATCH", "/v1/contents/x"),
        ("PUT", "/v1/contents/x/price"),
        ("POST", "/v1/contents/x/purchases"),
        ("PUT", "/v1/contents/x/rating"),
        ("POST", "/v1/contents/x/comments"),
    ];
    for (method, path) in routes {
        for (body, auth) in bodies.iter().flat_map(|b| {
            [
                (b, Some("Bearer not-a-token")),
                (b, Some(token.as_str())),
                (b, None),
            ]
        }) {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = client
                .request(method.clone(), server.at(path))
                .header("content-type", "application/json")
                .body(body.clone());
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path}: connection failed: {e}"));
            let status = response.status();
            assert!(
                status.is_client_error(),
                "{method} {path} with {} bytes: {status}",
                body.len()
            );
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json",
                "{method} {path}"
            );
        }
    }
    for query in [
        "?min_position=-1",
        "?min_position=abc",
        "?limit=0",
        "?sort=sideways",
        "?cursor=%00%ff",
    ] {
        let response = client
            .get(server.at(&format!("/v1/contents{query}")))
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_client_error(),
            "{query}: {}",
            response.status()
        );
    }
    let healthz = client
        .get(server.at("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), 200);
}
