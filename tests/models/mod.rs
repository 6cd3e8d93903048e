//! The model endpoints over real HTTP with the REAL models installed by
//! `ops/models/install` (skipped without them, a failure in CI): a near
//! copy of a published item is flagged (English and Chinese) and, with
//! `models.require_verification_to_publish`, cannot be published; greedy
//! generation streams onnxruntime's text over SSE and records the draft; a
//! full queue answers 503 with `Retry-After`; bad images (and a damaged
//! PDF) answer problems.

use std::time::{Duration, Instant};

use agora_actors::models::ModelsDir;
use agora_actors::models::testing::installed_or_skip;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{PASSWORD, Shop, draft};
use crate::common::{Run, Sandbox, Server};

/// Longest wait for the models to load (a guard against hanging, not a
/// performance assertion).
const LOAD_GUARD: Duration = Duration::from_secs(300);

/// The test's English article: clean (summary, length, language).
const RUST_EN: &str = "Ownership is the feature that sets Rust apart from other systems \
    languages. Every value has a single owner, and when the owner goes out of scope the value \
    is dropped. Borrowing lets code use a value without taking ownership: any number of shared \
    references, or exactly one mutable reference, at a time. The compiler checks these rules \
    before the program runs, so memory safety comes without a garbage collector and without \
    runtime cost. This article walks through moves, copies, borrows and lifetimes with small \
    examples you can run.";

/// The same, with a handful of words changed: a near copy.
const RUST_EN_COPY: &str = "Ownership is the feature that sets Rust apart from other systems \
    languages. Each value has a single owner, and when the owner goes out of scope the value \
    is dropped. Borrowing lets code use a value without taking ownership: any number of shared \
    references, or just one mutable reference, at a time. The compiler checks these rules \
    before the program runs, so memory safety comes without a garbage collector and with no \
    runtime cost. This article walks through moves, copies, borrows and lifetimes with short \
    examples you can run.";

/// An unrelated English article.
const BREAD_EN: &str = "Good bread needs only flour, water, salt and time. Mix the flour and \
    water first and let them rest for half an hour, so the flour absorbs the water and gluten \
    starts to form on its own. Then add salt and a little yeast, fold the dough every thirty \
    minutes for two hours, and let it rise slowly in a cool kitchen overnight. Bake it in a \
    very hot covered pot for the first twenty minutes, then uncover it until the crust is deep \
    brown. Let it cool fully before cutting.";

/// A Chinese article and a near copy of it.
const RUST_ZH: &str = "所有权是Rust区别于其他系统编程语言的核心特性。每个值都有唯一的所有者，\
    当所有者离开作用域时，这个值就会被释放。借用让代码在不获取所有权的情况下使用一个值：\
    同一时间可以有任意多个共享引用，或者只有一个可变引用。编译器在程序运行之前检查这些规则，\
    因此无需垃圾回收器，也没有运行时开销，就能保证内存安全。本文通过可以运行的小例子，\
    逐一讲解移动、复制、借用和生命周期，帮助读者真正理解所有权的设计思路和实际用法。\
    读完之后，你将能够自信地阅读和编写符合所有权规则的代码。";
const RUST_ZH_COPY: &str = "所有权是Rust区别于其他系统编程语言的核心特性。每一个值都有唯一的所有者，\
    当所有者离开作用域时，这个值就会被释放。借用让代码在不获取所有权的情况下使用一个值：\
    同一时间可以有任意多个共享引用，或者仅有一个可变引用。编译器在程序运行之前检查这些规则，\
    所以无需垃圾回收器，也没有运行时开销，就能保证内存安全。本文通过可以运行的小例子，\
    逐一讲解移动、复制、借用和生命周期，帮助读者真正理解所有权的设计思路和实际用法。\
    读完之后，你将能够自信地阅读和编写符合所有权规则的代码。";

/// A server with the models on (one worker, verification required to
/// publish, an OCR queue of 0 so any image is refused as overloaded), its
/// admin `root`, and creators `cora` and `dan`.
async fn open(dir: &ModelsDir) -> (Shop, String, String, String) {
    let sandbox = Sandbox::new();
    let mut create = sandbox.command(
        ["admin", "create", "--id", "root", "--display-name", "Root"]
            .into_iter()
            .map(String::from)
            .chain(["--email".into(), "root@example.org".into()])
            .chain(sandbox.data_dir_args()),
    );
    create.env("AGORA_ADMIN_PASSWORD", PASSWORD);
    Run::of(create).success();
    let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
    args.extend(sandbox.data_dir_args());
    let mut command = sandbox.command(args);
    command
        .env("AGORA_MODELS_ENABLED", "true")
        .env("AGORA_MODELS_DIR", dir.path())
        .env("AGORA_MODELS_WORKERS", "1")
        .env("AGORA_MODELS_OCR_QUEUE", "0")
        .env("AGORA_MODELS_RETRY_AFTER_SECS", "7")
        .env("AGORA_MODELS_REQUIRE_VERIFICATION_TO_PUBLISH", "true")
        .env("AGORA_MODELS_MIN_VERIFICATION_SCORE_BPS", "7000")
        .env("OMP_THREAD_LIMIT", "1");
    let server = Server::start(command, &sandbox.path().join("server.log"));
    let shop = Shop {
        sandbox,
        server,
        client: Client::new(),
    };
    let root = shop.admin().await;
    let cora = shop.user("cora", &["creator"]).await;
    let dan = shop.user("dan", &["creator"]).await;
    (shop, root, cora, dan)
}

/// Drafts `id` as `token` with `body` and a summary, in `language`, priced;
/// answers the item's version.
async fn draft_priced(shop: &Shop, token: &str, id: &str, body: &str, language: &str) -> u64 {
    let mut item = draft(
        id,
        "article",
        &format!("Article {id}"),
        "What you will learn",
        &[],
        language,
    );
    item["body"] = json!({ "text": body });
    shop.command(Method::POST, "/v1/contents", token, item)
        .await;
    let price = json!({"amount_cents": 900, "currency": "CNY"});
    let priced = shop
        .command(
            Method::PUT,
            &format!("/v1/contents/{id}/price"),
            token,
            price,
        )
        .await;
    priced["version"].as_u64().expect("version")
}

/// `POST /v1/contents/{id}/verify`, waiting while the models load.
async fn verify(shop: &Shop, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/v1/contents/{id}/verify");
    // Loading takes seconds (tract optimizes each model once): a request
    // waits on the server for the loader, up to its read wait, then
    // answers 503 `models-unavailable` ("loading") and is sent again.
    let deadline = Instant::now() + LOAD_GUARD;
    while Instant::now() < deadline {
        let (status, answer) = shop
            .send(Method::POST, &path, Some(token), body.clone())
            .await;
        let loading = status == StatusCode::SERVICE_UNAVAILABLE
            && answer["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(":models-unavailable"))
            && answer["detail"]
                .as_str()
                .is_some_and(|d| d.contains("loading"));
        if !loading {
            return (status, answer);
        }
    }
    panic!(
        "the models did not load; server log:\n{}",
        shop.server.log()
    );
}

fn kinds(answer: &Value) -> Vec<String> {
    answer["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn near_duplicate_of(answer: &Value) -> Vec<String> {
    answer["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "near_duplicate")
        .map(|f| f["evidence"].as_str().expect("evidence").to_owned())
        .collect()
}

#[tokio::test]
async fn a_near_copy_of_a_published_item_is_flagged_and_cannot_be_published() {
    let Some(dir) = installed_or_skip() else {
        return;
    };
    let (shop, root, cora, dan) = open(&dir).await;

    // Given cora's English and Chinese articles, verified and published
    for (id, text, language) in [("en1", RUST_EN, "en"), ("zh1", RUST_ZH, "zh-CN")] {
        draft_priced(&shop, &cora, id, text, language).await;
        // Publishing needs a verification first
        let (status, refused) = shop
            .send(
                Method::POST,
                &format!("/v1/contents/{id}/publish"),
                Some(&cora),
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert!(
            refused["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(":verification-required"))
        );
        let (status, verified) = verify(&shop, &cora, id, Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(kinds(&verified), Vec::<String>::new(), "{verified}");
        assert_eq!(verified["score"], 1.0);
        assert_eq!(verified["passed"], true);
        assert!(
            verified["model_versions"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
        );
        shop.command(
            Method::POST,
            &format!("/v1/contents/{id}/publish"),
            &cora,
            Value::Null,
        )
        .await;
    }

    // When dan verifies near copies of them and an unrelated article
    let drafted = draft_priced(&shop, &dan, "en2", RUST_EN_COPY, "en").await;
    draft_priced(&shop, &dan, "zh2", RUST_ZH_COPY, "zh-CN").await;
    draft_priced(&shop, &dan, "bread", BREAD_EN, "en").await;
    let (status, en_copy) = verify(&shop, &dan, "en2", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{en_copy}");
    let (status, zh_copy) = verify(&shop, &root, "zh2", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{zh_copy}");
    let (status, bread) = verify(&shop, &dan, "bread", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{bread}");

    // Then the copies are flagged against the originals, and fail
    assert_eq!(near_duplicate_of(&en_copy), vec!["en1"], "{en_copy}");
    assert_eq!(near_duplicate_of(&zh_copy), vec!["zh1"], "{zh_copy}");
    for copy in [&en_copy, &zh_copy] {
        assert!(copy["score"].as_f64().expect("score") < 0.7, "{copy}");
        assert_eq!(copy["passed"], false);
    }
    // And the unrelated article is not
    assert_eq!(kinds(&bread), Vec::<String>::new(), "{bread}");

    // And a failed verification blocks publishing; a passed one does not
    let (status, refused) = shop
        .send(
            Method::POST,
            "/v1/contents/en2/publish",
            Some(&dan),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("basis points"))
    );
    shop.command(
        Method::POST,
        "/v1/contents/bread/publish",
        &dan,
        Value::Null,
    )
    .await;

    // And the verification was recorded on the item's stream
    assert_eq!(en_copy["version"].as_u64(), Some(drafted + 1), "{en_copy}");
}

#[tokio::test]
async fn bad_images_and_a_full_queue_answer_problems() {
    let Some(dir) = installed_or_skip() else {
        return;
    };
    let (shop, _root, cora, _dan) = open(&dir).await;
    let drafted = draft_priced(&shop, &cora, "a1", RUST_EN, "en").await;
    let image = |data: &str| json!({"images": [{"data": data, "language": "eng"}]});
    let problem = |answer: &(StatusCode, Value), status: StatusCode, suffix: &str| {
        assert_eq!(answer.0, status, "{}", answer.1);
        let type_uri = answer.1["type"].as_str().unwrap_or_default();
        assert!(type_uri.ends_with(suffix), "{}", answer.1);
    };
    // Not base64, not an image, too many images: refused before any model.
    problem(
        &verify(&shop, &cora, "a1", image("%%% not base64 %%%")).await,
        StatusCode::BAD_REQUEST,
        ":invalid-request",
    );
    problem(
        &verify(&shop, &cora, "a1", image("R0lGODlhAQABAAAAACw=")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ":validation-failed",
    );
    let many = json!({"images": vec![json!({"data": "iVBORw0KGgo="}); 5]});
    problem(
        &verify(&shop, &cora, "a1", many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ":validation-failed",
    );
    // Once the models are loaded (a verification of another item answers),
    // a PNG to an OCR queue of capacity 0 (full): 503 at once, Retry-After.
    draft_priced(&shop, &cora, "a2", BREAD_EN, "en").await;
    let (status, loaded) = verify(&shop, &cora, "a2", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    // A file that only starts like a PDF: poppler cannot count its pages,
    // so it is refused before any OCR job is queued.
    let (status, garbage) = verify(&shop, &cora, "a1", image("JVBERi0xLjQgZ2FyYmFnZQ==")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{garbage}");
    assert!(
        garbage["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("image 0: pdfinfo")),
        "{garbage}"
    );
    let response = shop
        .client
        .post(shop.server.at("/v1/contents/a1/verify"))
        .bearer_auth(&cora)
        .json(&image("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UBGAAAAABJRU5ErkJggg=="))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    let body: Value = response.json().await.expect("problem");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with(":models-overloaded")),
        "{body}"
    );
    // Nothing was recorded for the refused requests: the next verification
    // is the item's first event after its price.
    let (status, verified) = verify(&shop, &cora, "a1", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(
        verified["version"].as_u64(),
        Some(drafted + 1),
        "{verified}"
    );
}

/// The `data` of every SSE event named `name` in `text`.
fn events(text: &str, name: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines();
            let event = lines.next()?.strip_prefix("event: ")?;
            let data = lines.next()?.strip_prefix("data: ")?;
            (event == name).then(|| serde_json::from_str(data).expect("event data is JSON"))
        })
        .collect()
}

#[tokio::test]
async fn greedy_generation_streams_the_onnxruntime_text_and_records_the_draft() {
    let Some(dir) = installed_or_skip() else {
        return;
    };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.file("smollm2-expected.json")).expect("the install's check"),
    )
    .expect("JSON");
    let (shop, _root, cora, dan) = open(&dir).await;
    draft_priced(&shop, &cora, "g1", RUST_EN, "en").await;
    // Wait for the models (a verify answers once they are loaded).
    let (status, answer) = verify(&shop, &cora, "g1", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let mut version = answer["version"].as_u64().expect("version");
    // Only the creator may generate (to anyone else a draft does not exist).
    let (status, answer) = shop
        .send(
            Method::POST,
            "/v1/contents/g1/drafts:generate",
            Some(&dan),
            json!({"prompt": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let max_tokens = expected["max_new_tokens"].as_u64().expect("max");
    for case in expected["cases"].as_array().expect("cases") {
        // Given the user message of the check's ChatML prompt
        let prompt = case["prompt"].as_str().expect("prompt");
        let user = prompt
            .split("<|im_start|>user\n")
            .nth(1)
            .and_then(|rest| rest.split("<|im_end|>").next())
            .expect("a user turn");
        // When generating greedily over SSE
        let response = shop
            .client
            .post(shop.server.at("/v1/contents/g1/drafts:generate"))
            .bearer_auth(&cora)
            .json(&json!({"prompt": user, "max_tokens": max_tokens, "temperature": 0.0, "repetition_penalty": 1.0}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        let text = response.text().await.expect("the stream");
        // Then the tokens add up to onnxruntime's text, and so does `done`
        let streamed: String = events(&text, "token")
            .iter()
            .map(|e| e["text"].as_str().expect("piece").to_owned())
            .collect();
        let want = case["text"].as_str().expect("text");
        assert_eq!(streamed, want, "case {}: {text}", case["name"]);
        let done = events(&text, "done");
        assert_eq!(done.len(), 1, "{text}");
        assert_eq!(done[0]["text"], want);
        let ids = case["generated_ids"].as_array().expect("ids").len() as u64;
        assert_eq!(done[0]["tokens"], ids);
        let stopped = case["stopped"].as_bool().expect("stopped");
        assert_eq!(done[0]["finish"], if stopped { "stop" } else { "length" });
        assert!(
            done[0]["model"]
                .as_str()
                .is_some_and(|m| m.starts_with("SmolLM2"))
        );
        // And the draft was recorded on the item's stream
        version += 1;
        assert_eq!(done[0]["version"].as_u64(), Some(version), "{text}");
    }
}
