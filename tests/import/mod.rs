//! `agora import ratings --format movielens FILE`: rows become users,
//! published items, purchases and ratings through the command path;
//! importing again writes nothing; a bad row names its line; the server
//! then shows the imported library and trains on it at start-up.

use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::catalog::{PASSWORD, Shop};
use crate::common::{Run, Sandbox};
use crate::recommendations::{model_version, serve};

fn import(sandbox: &Sandbox, file: &str) -> Run {
    let mut args: Vec<String> = ["import", "ratings", "--format", "movielens", file, "--json"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend(sandbox.data_dir_args());
    sandbox.run(args)
}

#[tokio::test]
async fn movielens_rows_become_purchases_and_ratings_once() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path().join("ratings.csv"),
        "userId,movieId,rating,timestamp\n1,10,4,100\n1,11,5,101\n2,10,3.5,102\n2,12,0.5,103\n1,10,2,104\n",
    )
    .expect("write");
    let first = import(&sandbox, "ratings.csv").success();
    let report = first.json();
    assert_eq!(report["rows"], 4, "a repeated pair counts once");
    assert_eq!(report["users"], 2);
    assert_eq!(report["items"], 3);
    // The creator, 2 users, 3 items × 3 steps, 4 rows × 2 commands.
    assert_eq!(report["commands"], 1 + 2 + 9 + 8);
    assert_eq!(report["written"], report["commands"]);
    assert_eq!(report["refused"], 0);
    assert!(report["rows_per_second"].as_f64().is_some_and(|r| r > 0.0));

    let again = import(&sandbox, "ratings.csv").success().json();
    assert_eq!(again["written"], 0, "{again}");
    assert_eq!(again["replayed"], again["commands"]);

    // Tab-separated, no header: one more user.
    std::fs::write(sandbox.path().join("more.tsv"), "3\t12\t4\t200\n").expect("write");
    let more = import(&sandbox, "more.tsv").success().json();
    assert_eq!(more["rows"], 1);
    assert_eq!(more["refused"], 0);

    std::fs::write(sandbox.path().join("bad.csv"), "1,10,4,1\n1,11,x,2\n").expect("write");
    let bad = import(&sandbox, "bad.csv").exit_code(1);
    assert!(bad.stderr.contains(":2:"), "{bad}");

    let mut create = sandbox.command(
        ["admin", "create", "--id", "root", "--display-name", "Root"]
            .into_iter()
            .map(String::from)
            .chain(["--email".into(), "root@example.org".into()])
            .chain(sandbox.data_dir_args()),
    );
    create.env("AGORA_ADMIN_PASSWORD", PASSWORD);
    Run::of(create).success();
    let server = serve(&sandbox, true);
    let shop = Shop {
        sandbox,
        server,
        client: Client::new(),
    };
    let root = shop.admin().await;
    let library = shop
        .get("/v1/users/ml-u1/library", Some(&root), StatusCode::OK)
        .await;
    let ratings: Vec<(&str, u64)> = library["ratings"]
        .as_array()
        .expect("ratings")
        .iter()
        .map(|r| {
            (
                r["content_id"].as_str().expect("id"),
                r["stars"].as_u64().expect("stars"),
            )
        })
        .collect();
    assert_eq!(ratings, [("ml-i10", 2), ("ml-i11", 5)], "the last row wins");
    let item = shop.get("/v1/contents/ml-i12", None, StatusCode::OK).await;
    assert_eq!(item["creator_id"], "ml-catalog");

    // The server trains on the imported data at start-up.
    let status = model_version(&shop, &root, 1).await;
    assert_eq!(status["model"]["trigger"], "start-up");
    assert_eq!(status["model"]["metrics"]["users"], 3);
    let recs: Value = shop
        .get(
            "/v1/users/ml-u1/recommendations",
            Some(&root),
            StatusCode::OK,
        )
        .await;
    assert_eq!(recs["source"], "model");
    let items: Vec<&str> = recs["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["content_id"].as_str().expect("id"))
        .collect();
    assert_eq!(items, ["ml-i12"], "the only item ml-u1 does not own");
}
