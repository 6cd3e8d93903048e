//! The shared contract suite against EventStoreDB / KurrentDB, plus checks
//! of what is particular to that backend (sparse positions).
//!
//! Runs when `ESDB_URL` names a server, e.g.
//! `ESDB_URL='esdb://localhost:2113?tls=false' cargo test -p agora-events --features esdb --test esdb_contract`;
//! without it every test passes after printing
//! `esdb contract tests skipped: ESDB_URL not set`. Each test uses streams
//! under its own random prefix, so runs can share a server.

#![cfg(feature = "esdb")]

mod contract;

use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use agora_events::esdb::EsdbStore;
use agora_events::{EventStore, ExpectedVersion, ReadDirection, RecordedEvent, StreamName};
use contract::Backend;
use futures::StreamExt;
use uuid::Uuid;

struct Esdb {
    url: String,
}

#[async_trait::async_trait]
impl Backend for Esdb {
    type Store = EsdbStore;
    async fn open(&self) -> EsdbStore {
        EsdbStore::connect(&self.url)
            .await
            .expect("connect to the server in ESDB_URL")
    }
    fn dense_positions(&self) -> bool {
        false
    }
}

/// The server to test against and a fresh stream prefix, or `None` (after
/// saying so once) when `ESDB_URL` is not set.
fn backend() -> Option<(Esdb, String)> {
    match std::env::var("ESDB_URL") {
        Ok(url) if !url.trim().is_empty() => Some((
            Esdb { url },
            format!("agora-contract-{}", Uuid::new_v4().simple()),
        )),
        _ => {
            static SKIPPED: Once = Once::new();
            // Straight to stderr, so the line shows even when the test
            // harness captures output.
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "esdb contract tests skipped: ESDB_URL not set"
                );
            });
            None
        }
    }
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some((backend, prefix)) = backend() else { return };
            contract::$name(&backend, &prefix).await;
        }
    )*};
}

// Every check of the shared suite (each works on sparse positions).
contract_tests!(
    append_then_read_back,
    expected_version_conflicts_write_nothing,
    idempotent_repeats_return_the_original_result,
    reused_ids_are_refused,
    batches_are_atomic,
    concurrent_writers_get_one_total_order,
    subscription_switches_from_catch_up_to_live_without_gap_or_duplicate,
    slow_subscriber_still_sees_everything,
    read_all_pages_through_the_log,
);

/// The versions of `stream`'s events that `read_all(from, …)` returns,
/// reading on until its version `last`.
async fn versions_from(store: &EsdbStore, from: u64, stream: &StreamName, last: u64) -> Vec<u64> {
    let mut from = from;
    let mut versions = Vec::new();
    loop {
        let page = store.read_all(from, 50).await.expect("read_all");
        let Some(end) = page.last() else { break };
        from = end.position + 1;
        versions.extend(
            page.iter()
                .filter(|e| &e.stream == stream)
                .map(|e| e.version),
        );
        if versions.last() == Some(&last) {
            break;
        }
    }
    versions
}

/// Reading and subscribing from numbers that are not event positions, on a
/// connection that has seen none of the positions (every way `anchor`
/// finds a start: the exact position, the one before, a backward scan).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_subscriptions_start_anywhere() {
    let Some((backend, prefix)) = backend() else {
        return;
    };
    let s = contract::stream(&prefix, "anywhere");
    let written: Vec<RecordedEvent> = {
        let store = backend.open().await;
        store
            .append(&s, ExpectedVersion::NoStream, contract::events("E", 10))
            .await
            .expect("append");
        store
            .read_stream(&s, 0, 10, ReadDirection::Forward)
            .await
            .expect("read")
    };
    assert_eq!(written.len(), 10);
    for k in [0usize, 4, 9] {
        let at = written[k].position;
        for (from, first) in [(at, k), (at - 1, k), (at + 1, k + 1), (at + 3, k + 1)] {
            if first == 10 {
                let store = backend.open().await;
                let rest = versions_from(&store, from, &s, 9).await;
                assert!(rest.is_empty(), "from {from}: {rest:?}");
                continue;
            }
            let store = backend.open().await;
            assert_eq!(
                versions_from(&store, from, &s, 9).await,
                (first as u64..10).collect::<Vec<_>>(),
                "read_all from {from} (event {k} is at {at})"
            );
            let store = backend.open().await;
            let mut sub = store.subscribe_all(from);
            let got = loop {
                let next = tokio::time::timeout(Duration::from_secs(30), sub.next())
                    .await
                    .expect("subscription stalled")
                    .expect("subscription ended")
                    .expect("subscription error");
                if next.stream == s {
                    break next;
                }
            };
            assert_eq!(
                got.version, first as u64,
                "subscribe_all from {from} (event {k} is at {at})"
            );
        }
    }
}

/// Dropping the last handle ends open subscriptions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_end_when_the_store_is_dropped() {
    let Some((backend, _)) = backend() else {
        return;
    };
    let store = backend.open().await;
    let head = store.head_position().await.expect("head").unwrap_or(0);
    let mut sub = store.subscribe_all(head + 1);
    drop(store);
    let end = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(item) = sub.next().await {
            item.expect("subscription error");
        }
    })
    .await;
    assert!(end.is_ok(), "the subscription outlived its store");
}
