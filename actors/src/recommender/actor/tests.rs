//! The trainer over a real log store: admin runs, runs after new
//! interactions and at start-up, versions recorded on the stream and
//! published in order.

use std::time::Duration;

use agora_events::domain::content::{ContentEvent, ContentPurchased, Money};
use agora_events::{LogConfig, LogStore, Timestamp};

use super::*;
use crate::factorizer::ImplicitSettings;
use crate::projection::{self, ProjectionConfig};

/// How long a test waits for the trainer before giving up (a guard against
/// hanging, not a performance assertion).
const GUARD: Duration = Duration::from_secs(60);

fn config() -> RecommenderConfig {
    RecommenderConfig {
        implicit: ImplicitSettings {
            factors: 2,
            iterations: 2,
            ..ImplicitSettings::default()
        },
        check_interval: Duration::from_millis(10),
        retrain_after_interactions: 0,
        retrain_min_gap: Duration::ZERO,
        ..RecommenderConfig::default()
    }
}

async fn buy(store: &LogStore, user: &str, item: &str) -> u64 {
    let event = ContentEvent::Purchased(ContentPurchased {
        buyer_id: user.into(),
        price: Money {
            amount_cents: 100,
            currency: "CNY".into(),
        },
        purchase_id: format!("{user}-{item}"),
        purchased_at: Timestamp(0),
        partner_id: None,
        shares: Vec::new(),
    })
    .to_new_event(EventMetadata::default())
    .expect("encodes");
    let stream = StreamName::new(format!("content-{item}")).expect("stream");
    store
        .append(&stream, ExpectedVersion::Any, vec![event])
        .await
        .expect("append")
        .position
}

struct World {
    _dir: tempfile::TempDir,
    store: LogStore,
    recommender: Recommender,
}

fn start(dir: tempfile::TempDir, store: LogStore, config: RecommenderConfig) -> World {
    let shared: Arc<dyn EventStore> = Arc::new(store.clone());
    let view = projection::start::<InteractionsView>(
        Arc::clone(&shared),
        ProjectionConfig::new(dir.path().join("projections")),
    )
    .expect("projection");
    let recommender =
        Recommender::start(shared, view, config, Clock::manual(Timestamp(5))).expect("starts");
    World {
        _dir: dir,
        store,
        recommender,
    }
}

fn open() -> (tempfile::TempDir, LogStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LogStore::open(dir.path().join("log"), LogConfig::default()).expect("store");
    (dir, store)
}

async fn recorded_versions(store: &LogStore) -> Vec<u64> {
    let stream = StreamName::new(MODELS_STREAM).expect("stream");
    store
        .read_stream(&stream, 0, 100, ReadDirection::Forward)
        .await
        .expect("read")
        .iter()
        .map(
            |e| match RecommenderEvent::from_recorded(e).expect("decodes") {
                RecommenderEvent::ModelTrained(t) => t.version,
            },
        )
        .collect()
}

/// Waits until the published model has `version`.
async fn published(recommender: &Recommender, version: u64) -> Arc<ServingModel> {
    recommender
        .published(version, GUARD)
        .await
        .unwrap_or_else(|| panic!("no model version {version}"))
}

/// Waits until the trainer made `count` more checks.
async fn checks(recommender: &Recommender, count: u64) {
    let mut checks = recommender.shared.checks.subscribe();
    let until = *checks.borrow_and_update() + count;
    let passed = tokio::time::timeout(GUARD, checks.wait_for(|n| *n >= until)).await;
    assert!(matches!(passed, Ok(Ok(_))), "the trainer stopped checking");
}

#[actix_rt::test]
async fn an_admin_run_covers_every_interaction_acknowledged_before_it() {
    let (dir, store) = open();
    let world = start(dir, store, config());
    for user in 0..200 {
        buy(&world.store, &format!("u{user}"), &format!("i{}", user % 7)).await;
    }
    // No wait for the projection here: train() waits for it itself.
    let model = world.recommender.train().await.expect("trains");
    assert_eq!(model.event().metrics.interactions, 200);
}

#[actix_rt::test]
async fn admin_runs_record_then_publish_increasing_versions() {
    let (dir, store) = open();
    let world = start(dir, store, config());
    assert_eq!(
        world.recommender.train().await.err(),
        Some(RecommenderError::NoData)
    );
    assert!(world.recommender.current().is_none());
    let mut last = 0;
    for (user, item) in [("ann", "rust"), ("ann", "sql"), ("bob", "rust")] {
        last = buy(&world.store, user, item).await;
    }
    assert!(world.recommender.interactions().wait_for(last, GUARD).await);
    let first = world.recommender.train().await.expect("trains");
    assert_eq!(first.version(), 1);
    assert_eq!(first.event().trigger, "admin");
    assert_eq!(first.event().metrics.interactions, 3);
    assert_eq!(first.event().trained_at, Timestamp(5));
    let second = world.recommender.train().await.expect("trains");
    assert_eq!(second.version(), 2);
    assert_eq!(recorded_versions(&world.store).await, vec![1, 2]);
    let status = world.recommender.status();
    assert_eq!(status.model.map(|m| m.version), Some(2));
    assert!(!status.training);
    assert_eq!(status.interactions, 3);
}

#[actix_rt::test]
async fn new_interactions_past_the_threshold_start_a_run() {
    let (dir, store) = open();
    let world = start(
        dir,
        store,
        RecommenderConfig {
            retrain_after_interactions: 3,
            ..config()
        },
    );
    buy(&world.store, "ann", "rust").await;
    buy(&world.store, "bob", "rust").await;
    buy(&world.store, "bob", "sql").await;
    let model = published(&world.recommender, 1).await;
    assert_eq!(model.event().trigger, "interactions");
    assert_eq!(world.recommender.status().interactions_since_training, 0);
}

#[actix_rt::test]
async fn a_log_with_interactions_is_trained_at_start_up_after_earlier_versions() {
    let (dir, store) = open();
    buy(&store, "ann", "rust").await;
    buy(&store, "bob", "sql").await;
    let world = start(dir, store, config());
    let model = published(&world.recommender, 1).await;
    assert_eq!(model.event().trigger, "start-up");
    // A restart continues the version sequence from the log.
    let World {
        _dir: dir,
        store,
        recommender,
    } = world;
    drop(recommender);
    let world = start(dir, store, config());
    let model = published(&world.recommender, 2).await;
    assert_eq!(model.version(), 2);
    assert_eq!(recorded_versions(&world.store).await, vec![1, 2]);
}

#[actix_rt::test]
async fn counted_runs_wait_for_the_minimum_gap_but_admin_runs_do_not() {
    let (dir, store) = open();
    let world = start(
        dir,
        store,
        RecommenderConfig {
            retrain_after_interactions: 1,
            retrain_min_gap: Duration::from_secs(3600),
            train_on_start: false,
            ..config()
        },
    );
    buy(&world.store, "ann", "rust").await;
    let first = published(&world.recommender, 1).await;
    assert_eq!(first.event().trigger, "interactions");
    let last = buy(&world.store, "bob", "rust").await;
    assert!(world.recommender.interactions().wait_for(last, GUARD).await);
    // Checks of the trainer pass once the interaction is in the
    // projection: the threshold is crossed, the gap is not.
    checks(&world.recommender, 5).await;
    let status = world.recommender.status();
    assert!(!status.training);
    assert_eq!(status.model.map(|m| m.version), Some(1));
    assert_eq!(status.interactions_since_training, 1);
    let second = world.recommender.train().await.expect("trains");
    assert_eq!(second.version(), 2);
    assert_eq!(second.event().trigger, "admin");
}
