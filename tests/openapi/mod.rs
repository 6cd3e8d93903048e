//! `GET /openapi.json` over real TCP: the served document is the committed
//! `schemas/openapi.json`, byte for byte, and every documented route exists.

use crate::common::Sandbox;

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = reqwest::Client::new();
    let response = client
        .get(server.at("/openapi.json"))
        .send()
        .await
        .expect("GET /openapi.json");
    assert_eq!(response.status(), 200);
    let served = response.text().await.expect("body");
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/openapi.json"),
    )
    .expect("schemas/openapi.json");
    assert!(
        served == committed,
        "the served /openapi.json differs from schemas/openapi.json"
    );

    // Every documented route answers something other than "no route" or
    // "wrong method" (path parameters filled with a placeholder id).
    let document: serde_json::Value = serde_json::from_str(&served).expect("JSON");
    let paths = document["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in operations.as_object().expect("operations").keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())
                .expect("an HTTP method");
            let response = client
                .request(method.clone(), server.at(&concrete))
                .send()
                .await
                .expect("request");
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let problem = body["type"].as_str().unwrap_or_default();
            assert!(
                problem != "urn:agora:problem:not-found"
                    && problem != "urn:agora:problem:method-not-allowed",
                "{method} {path} is documented but not served: {status} {body}"
            );
        }
    }
}
