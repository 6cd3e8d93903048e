//! `GET /v1/contents/{id}/reviews` and `GET /v1/contents/{id}/comments`:
//! what owners wrote, with their ratings, and the threads with their
//! marked answers, paged, and only for those who may see the item.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::World;

/// The `field` of every entry of `list`.
fn column<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry[field].as_str().unwrap_or("<none>"))
        .collect()
}

/// `PUT /v1/contents/c1/{what}` by `token`; answers the event's position.
async fn put(w: &World, token: &str, what: &str, body: Value) -> u64 {
    let path = format!("/v1/contents/c1/{what}");
    let answer = w.send(Method::PUT, &path, Some(token), body).await;
    answer.ok(StatusCode::OK);
    answer.position()
}

#[tokio::test]
async fn reviews_show_their_writers_ratings_newest_first_in_pages() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let leo = w.user("leo", &["learner"]).await;
    let olga = w.user("olga", &["learner"]).await;
    let pat = w.user("pat", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;
    for token in [&leo, &olga, &pat] {
        w.buy(token, "c1").await;
    }
    put(&w, &leo, "review", json!({"text": "Clear."})).await;
    put(&w, &leo, "rating", json!({"stars": 5})).await;
    put(&w, &olga, "rating", json!({"stars": 3})).await;
    put(&w, &olga, "review", json!({"text": "Too short."})).await;
    put(&w, &pat, "rating", json!({"stars": 1})).await;
    let at = put(
        &w,
        &leo,
        "review",
        json!({"text": "Clear, and I came back."}),
    )
    .await;

    let all = w
        .get(&format!("/v1/contents/c1/reviews?min_position={at}"), None)
        .await;
    all.ok(StatusCode::OK);
    let reviews = &all.body["reviews"];
    assert_eq!(
        column(reviews, "user_id"),
        ["leo", "olga"],
        "newest write first; pat rated but wrote nothing"
    );
    assert_eq!(reviews[0]["text"], "Clear, and I came back.", "replaced");
    assert_eq!(reviews[0]["stars"], 5);
    assert_eq!(reviews[1]["stars"], 3);
    assert!(reviews[0]["written_at"].is_string());
    assert_eq!(all.body["next_after"], Value::Null);

    let first = w
        .get(
            &format!("/v1/contents/c1/reviews?limit=1&min_position={at}"),
            None,
        )
        .await;
    assert_eq!(column(&first.body["reviews"], "user_id"), ["leo"]);
    let cursor = first.text("next_after");
    let second = w
        .get(
            &format!("/v1/contents/c1/reviews?limit=1&after={cursor}"),
            None,
        )
        .await;
    assert_eq!(column(&second.body["reviews"], "user_id"), ["olga"]);
    assert_eq!(second.body["next_after"], Value::Null, "the last page");

    w.get("/v1/contents/c1/reviews?after=soon", None)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid-request");
    w.get("/v1/contents/c1/reviews?limit=0", None)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    w.get("/v1/contents/nope/reviews", None)
        .await
        .problem(StatusCode::NOT_FOUND, "content-not-found");
}

#[tokio::test]
async fn comments_come_as_threads_with_the_marked_answer() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let leo = w.user("leo", &["learner"]).await;
    let olga = w.user("olga", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;

    let question = w
        .comment(
            &leo,
            "c1",
            json!({"text": "Why borrow?", "is_question": true}),
        )
        .await;
    let reply = w
        .comment(
            &olga,
            "c1",
            json!({"text": "To share.", "parent_id": question}),
        )
        .await;
    let thanks = w
        .comment(&leo, "c1", json!({"text": "Thanks!", "parent_id": reply}))
        .await;
    let aside = w.comment(&olga, "c1", json!({"text": "Nice."})).await;
    let answer = format!("/v1/contents/c1/comments/{question}/answer");
    let marked = w.post(&answer, &creator, json!({"answer_id": reply})).await;
    marked.ok(StatusCode::OK);
    let at = marked.position();

    let page = w
        .get(&format!("/v1/contents/c1/comments?min_position={at}"), None)
        .await;
    page.ok(StatusCode::OK);
    let threads = &page.body["threads"];
    assert_eq!(column(threads, "id"), [aside.as_str(), question.as_str()]);
    let (newest, asked) = (&threads[0], &threads[1]);
    assert_eq!(newest["is_question"], false);
    assert_eq!(newest["answered"], false);
    assert_eq!(newest["replies"], json!([]));
    assert_eq!(asked["is_question"], true);
    assert_eq!(asked["answered"], true);
    assert_eq!(asked["answer_id"], reply.as_str());
    assert_eq!(asked["author_id"], "leo");
    assert_eq!(
        column(&asked["replies"], "id"),
        [reply.as_str(), thanks.as_str()]
    );
    assert_eq!(
        column(&asked["replies"], "parent_id"),
        [question.as_str(), reply.as_str()]
    );
    assert_eq!(asked["replies"][0]["is_answer"], true);
    assert_eq!(asked["replies"][1]["is_answer"], false);

    let first = w.get("/v1/contents/c1/comments?limit=1", None).await;
    assert_eq!(column(&first.body["threads"], "id"), [aside.as_str()]);
    let cursor = first.text("next_after");
    let second = w
        .get(
            &format!("/v1/contents/c1/comments?limit=1&after={cursor}"),
            None,
        )
        .await;
    assert_eq!(column(&second.body["threads"], "id"), [question.as_str()]);
    assert_eq!(second.body["next_after"], Value::Null);
}

#[tokio::test]
async fn a_drafts_discussions_are_not_found_by_strangers() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let stranger = w.user("sam", &["learner"]).await;
    let draft = json!({"id": "d1", "kind": "article", "title": "Secret", "language": "en"});
    let created = w.post("/v1/contents", &creator, draft).await;
    created.ok(StatusCode::CREATED);
    let at = created.position();

    for (what, list) in [("reviews", "reviews"), ("comments", "threads")] {
        let path = format!("/v1/contents/d1/{what}?min_position={at}");
        for token in [Some(stranger.as_str()), None] {
            w.get(&path, token)
                .await
                .problem(StatusCode::NOT_FOUND, "content-not-found");
        }
        let own = w.get(&path, Some(&creator)).await;
        own.ok(StatusCode::OK);
        assert_eq!(own.body[list], json!([]), "the creator sees it, empty");
    }
}
