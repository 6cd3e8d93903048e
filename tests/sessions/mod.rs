//! `/v1/sessions` over real TCP: login, logout, who may do what, login rate
//! limits, and `agora admin create`.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::{Sandbox, Server};
use crate::users::login;

async fn register(client: &Client, server: &Server, id: &str, password: &str) {
    let response = client
        .post(server.at("/v1/users"))
        .json(&json!({"id": id, "display_name": id, "email": format!("{id}@example.org"), "roles": ["learner"], "password": password}))
        .send()
        .await
        .expect("POST /v1/users");
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn try_login(
    client: &Client,
    server: &Server,
    id: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(server.at("/v1/sessions"))
        .json(&json!({"user_id": id, "password": password}))
        .send()
        .await
        .expect("POST /v1/sessions")
}

async fn rename(client: &Client, server: &Server, id: &str, token: &str) -> StatusCode {
    client
        .patch(server.at(&format!("/v1/users/{id}")))
        .bearer_auth(token)
        .json(&json!({"display_name": "Renamed"}))
        .send()
        .await
        .expect("PATCH")
        .status()
}

#[tokio::test]
async fn a_token_works_until_logout_and_only_for_its_owner() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = Client::new();
    register(&client, &server, "amy", "amy-password-1").await;
    register(&client, &server, "ben", "ben-password-1").await;

    let wrong = try_login(&client, &server, "amy", "not-her-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let unknown = try_login(&client, &server, "nobody", "whatever-password").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let amy = login(&client, &server, "amy", "amy-password-1").await;
    let ben = login(&client, &server, "ben", "ben-password-1").await;
    assert_eq!(rename(&client, &server, "amy", &amy).await, StatusCode::OK);
    assert_eq!(
        rename(&client, &server, "amy", &ben).await,
        StatusCode::FORBIDDEN,
        "ben may not change amy"
    );
    let as_ben: Value = client
        .get(server.at("/v1/users/amy"))
        .bearer_auth(&ben)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("user");
    assert_eq!(
        as_ben["personal_data"], "hidden",
        "nobody reads another user's e-mail"
    );

    let logout = client
        .delete(server.at("/v1/sessions/current"))
        .bearer_auth(&amy)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        rename(&client, &server, "amy", &amy).await,
        StatusCode::UNAUTHORIZED,
        "a logged-out token is refused"
    );
    assert_eq!(
        rename(&client, &server, "ben", &ben).await,
        StatusCode::OK,
        "other sessions live on"
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_account() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = Client::new();
    register(&client, &server, "cat", "cat-password-1").await;
    for _ in 0..5 {
        assert_eq!(
            try_login(&client, &server, "cat", "guess-guess")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = try_login(&client, &server, "cat", "cat-password-1").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let body: Value = limited.json().await.expect("problem");
    assert_eq!(body["type"], "urn:agora:problem:too-many-requests");
}

#[tokio::test]
async fn an_admin_made_on_the_command_line_may_change_anyone() {
    let sandbox = Sandbox::new();
    let mut args = vec![
        "admin".to_string(),
        "create".into(),
        "--id".into(),
        "root".into(),
        "--display-name".into(),
        "Root".into(),
        "--email".into(),
        "root@example.org".into(),
    ];
    args.extend(sandbox.data_dir_args());
    let mut command = sandbox.command(&args);
    command.env("AGORA_ADMIN_PASSWORD", "root-password-1");
    let created = crate::common::Run::of(command).success();
    assert!(created.stdout.contains("created admin root"), "{created}");

    let server = sandbox.serve();
    let client = Client::new();
    register(&client, &server, "dan", "dan-password-1").await;
    let root = login(&client, &server, "root", "root-password-1").await;
    assert_eq!(rename(&client, &server, "dan", &root).await, StatusCode::OK);
    let seen: Value = client
        .get(server.at("/v1/users/dan"))
        .bearer_auth(&root)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("user");
    assert_eq!(seen["email"], "dan@example.org");
}

#[tokio::test]
async fn serve_demo_seeds_users_and_content_once() {
    let sandbox = Sandbox::new();
    let client = Client::new();
    for _ in 0..2 {
        let mut args = vec![
            "serve".to_string(),
            "--demo".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        args.extend(sandbox.data_dir_args());
        let server = Server::start(sandbox.command(args), &sandbox.path().join("demo.log"));
        let token = login(&client, &server, "demo-creator", "demo-password").await;
        let me: Value = client
            .get(server.at("/v1/users/demo-creator"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("user");
        assert_eq!(me["roles"], json!(["creator"]));
        let catalog: Value = client
            .get(server.at("/v1/contents?sort=newest"))
            .send()
            .await
            .expect("GET /v1/contents")
            .json()
            .await
            .expect("catalog");
        let ids: Vec<&str> = catalog["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        assert_eq!(ids.len(), 2, "seeded once: {catalog}");
        assert!(ids.contains(&"demo-rust-course"), "{catalog}");
        assert!(server.terminate().success());
    }
}
