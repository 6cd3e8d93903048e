//! The one contract suite every `EventStore` backend must pass.
//!
//! Each check uses only streams named with its own prefix and filters `$all`
//! by it, so it also runs against a shared server. Positions are compared for
//! density only where the backend promises it.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use agora_events::{
    AppendResult, EventMetadata, EventStore, ExpectedVersion, NewEvent, ReadDirection,
    RecordedEvent, StoreError, StreamName,
};
use futures::StreamExt;
use uuid::Uuid;

/// How the suite reaches a backend.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    type Store: EventStore;
    /// Opens (or reconnects to) the same store; the previous handle has been dropped.
    async fn open(&self) -> Self::Store;
    /// Whether global positions are dense 0,1,2,… (embedded log) or only increasing.
    fn dense_positions(&self) -> bool;
}

/// Runs every check, each under its own prefix.
pub async fn run_all<B: Backend>(backend: &B, prefix: &str) {
    append_then_read_back(backend, &format!("{prefix}-read")).await;
    expected_version_conflicts_write_nothing(backend, &format!("{prefix}-conflict")).await;
    idempotent_repeats_return_the_original_result(backend, &format!("{prefix}-idem")).await;
    reused_ids_are_refused(backend, &format!("{prefix}-dupid")).await;
    batches_are_atomic(backend, &format!("{prefix}-atomic")).await;
    concurrent_writers_get_one_total_order(backend, &format!("{prefix}-order")).await;
    subscription_switches_from_catch_up_to_live_without_gap_or_duplicate(
        backend,
        &format!("{prefix}-sub"),
    )
    .await;
    slow_subscriber_still_sees_everything(backend, &format!("{prefix}-slow")).await;
    read_all_pages_through_the_log(backend, &format!("{prefix}-pages")).await;
}

pub fn stream(prefix: &str, name: &str) -> StreamName {
    StreamName::new(format!("{prefix}-{name}")).expect("valid stream name")
}

pub fn event(kind: &str, n: usize) -> NewEvent {
    NewEvent::new(kind, format!("payload {n}").into_bytes()).with_metadata(EventMetadata {
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
        actor_id: Some(format!("actor-{n}")),
    })
}

pub fn events(kind: &str, n: usize) -> Vec<NewEvent> {
    (0..n).map(|i| event(kind, i)).collect()
}

/// Every event of `$all` whose stream starts with `prefix`, in order.
pub async fn read_all_with_prefix<S: EventStore>(store: &S, prefix: &str) -> Vec<RecordedEvent> {
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let page = store.read_all(from, 500).await.expect("read_all");
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        out.extend(
            page.into_iter()
                .filter(|e| e.stream.as_str().starts_with(prefix)),
        );
    }
    out
}

fn assert_same_event(recorded: &RecordedEvent, proposed: &NewEvent) {
    assert_eq!(recorded.id, proposed.id);
    assert_eq!(recorded.event_type, proposed.event_type);
    assert_eq!(recorded.schema_version, proposed.schema_version);
    assert_eq!(recorded.metadata, proposed.metadata);
    assert_eq!(recorded.payload, proposed.payload);
}

pub async fn append_then_read_back<B: Backend>(backend: &B, prefix: &str) {
    let store = backend.open().await;
    let s = stream(prefix, "a");
    let batch = events("Happened", 3);
    let r = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("append");
    assert_eq!((r.first_version, r.next_version), (0, 3));
    assert_eq!(store.stream_version(&s).await.expect("version"), Some(2));

    let forward = store
        .read_stream(&s, 0, 10, ReadDirection::Forward)
        .await
        .expect("read");
    assert_eq!(forward.len(), 3);
    for (k, (got, sent)) in forward.iter().zip(&batch).enumerate() {
        assert_same_event(got, sent);
        assert_eq!(got.version, k as u64);
        assert_eq!(&got.stream, &s);
    }
    assert_eq!(forward[2].position, r.position);
    assert!(forward.windows(2).all(|w| w[0].position < w[1].position));

    let backward = store
        .read_stream(&s, u64::MAX, 2, ReadDirection::Backward)
        .await
        .expect("read back");
    assert_eq!(
        backward.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let middle = store
        .read_stream(&s, 1, 1, ReadDirection::Forward)
        .await
        .expect("read one");
    assert_eq!(middle.len(), 1);
    assert_eq!(middle[0].id, batch[1].id);
    let past_end = store
        .read_stream(&s, 3, 10, ReadDirection::Forward)
        .await
        .expect("read past end");
    assert!(past_end.is_empty());

    let missing = stream(prefix, "missing");
    assert!(
        store
            .read_stream(&missing, 0, 10, ReadDirection::Forward)
            .await
            .expect("read missing")
            .is_empty()
    );
    assert_eq!(store.stream_version(&missing).await.expect("version"), None);
    let head = store.head_position().await.expect("head");
    assert!(head >= Some(r.position));
}

pub async fn expected_version_conflicts_write_nothing<B: Backend>(backend: &B, prefix: &str) {
    let store = backend.open().await;
    let s = stream(prefix, "c");
    let first = store
        .append(&s, ExpectedVersion::StreamExists, events("E", 1))
        .await;
    assert!(
        matches!(
            first,
            Err(StoreError::WrongExpectedVersion { actual: None, .. })
        ),
        "{first:?}"
    );
    assert_eq!(store.stream_version(&s).await.expect("version"), None);

    let r = store
        .append(&s, ExpectedVersion::NoStream, events("E", 2))
        .await
        .expect("append");
    assert_eq!(r.next_version, 2);

    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(0),
        ExpectedVersion::Exact(5),
    ] {
        match store.append(&s, expected, events("E", 1)).await {
            Err(StoreError::WrongExpectedVersion {
                stream,
                expected: e,
                actual,
            }) => {
                assert_eq!(stream, s.as_str());
                assert_eq!(e, expected);
                assert_eq!(actual, Some(1));
            }
            other => panic!("expected a conflict for {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(store.stream_version(&s).await.expect("version"), Some(1));
    assert_eq!(
        store
            .read_stream(&s, 0, 100, ReadDirection::Forward)
            .await
            .expect("read")
            .len(),
        2
    );

    let next = store
        .append(&s, r.expected_next(), events("E", 1))
        .await
        .expect("exact append");
    assert_eq!(next.first_version, 2);
    let any = store
        .append(&s, ExpectedVersion::Any, events("E", 1))
        .await
        .expect("any");
    assert_eq!(any.first_version, 3);
    let exists = store
        .append(&s, ExpectedVersion::StreamExists, events("E", 1))
        .await
        .expect("exists");
    assert_eq!(exists.first_version, 4);
}

pub async fn idempotent_repeats_return_the_original_result<B: Backend>(backend: &B, prefix: &str) {
    let s = stream(prefix, "i");
    let batch = events("Paid", 3);
    let original;
    {
        let store = backend.open().await;
        original = store
            .append(&s, ExpectedVersion::NoStream, batch.clone())
            .await
            .expect("append");
        // The same batch again, with the same (now stale) expectation.
        let again = store
            .append(&s, ExpectedVersion::NoStream, batch.clone())
            .await
            .expect("repeat");
        assert_eq!(again, original);
        let again_any = store
            .append(&s, ExpectedVersion::Any, batch.clone())
            .await
            .expect("repeat any");
        assert_eq!(again_any, original);
        assert_eq!(store.stream_version(&s).await.expect("version"), Some(2));
        // Many concurrent repeats of a new batch write it once.
        let s2 = stream(prefix, "i2");
        let batch2 = events("Paid", 2);
        let store = Arc::new(store);
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (store, s2, batch2) = (Arc::clone(&store), s2.clone(), batch2.clone());
                tokio::spawn(async move { store.append(&s2, ExpectedVersion::Any, batch2).await })
            })
            .collect();
        let mut results = HashSet::new();
        for t in tasks {
            results.insert(t.await.expect("join").expect("append"));
        }
        assert_eq!(results.len(), 1, "every repeat answers the original result");
        assert_eq!(store.stream_version(&s2).await.expect("version"), Some(1));
    }
    // And after a restart.
    let store = backend.open().await;
    let after = store
        .append(&s, ExpectedVersion::Exact(7), batch.clone())
        .await
        .expect("repeat after restart");
    assert_eq!(after, original);
    assert_eq!(
        store
            .read_stream(&s, 0, 100, ReadDirection::Forward)
            .await
            .expect("read")
            .len(),
        3
    );
    let in_all = read_all_with_prefix(&store, prefix).await;
    assert_eq!(in_all.iter().filter(|e| e.stream == s).count(), 3);
}

pub async fn reused_ids_are_refused<B: Backend>(backend: &B, prefix: &str) {
    let store = backend.open().await;
    let s = stream(prefix, "d");
    let batch = events("E", 2);
    store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("append");

    // The same id sent to another stream.
    let other = stream(prefix, "other");
    let r = store
        .append(&other, ExpectedVersion::Any, vec![batch[0].clone()])
        .await;
    assert!(
        matches!(r, Err(StoreError::DuplicateEventId { .. })),
        "{r:?}"
    );
    assert_eq!(store.stream_version(&other).await.expect("version"), None);

    // Old ids mixed with new ones.
    let mixed = vec![batch[1].clone(), event("E", 9)];
    let r = store.append(&s, ExpectedVersion::Any, mixed).await;
    assert!(
        matches!(r, Err(StoreError::DuplicateEventId { .. })),
        "{r:?}"
    );
    let mixed = vec![event("E", 9), batch[0].clone()];
    let r = store.append(&s, ExpectedVersion::Any, mixed).await;
    assert!(
        matches!(r, Err(StoreError::DuplicateEventId { .. })),
        "{r:?}"
    );

    // The old ids in another order.
    let reordered = vec![batch[1].clone(), batch[0].clone()];
    let r = store.append(&s, ExpectedVersion::Any, reordered).await;
    assert!(
        matches!(r, Err(StoreError::DuplicateEventId { .. })),
        "{r:?}"
    );
    assert_eq!(store.stream_version(&s).await.expect("version"), Some(1));

    // One id twice in one batch.
    let e = event("E", 1);
    let r = store
        .append(&other, ExpectedVersion::Any, vec![e.clone(), e])
        .await;
    assert!(matches!(r, Err(StoreError::InvalidBatch(_))), "{r:?}");
    assert_eq!(store.stream_version(&other).await.expect("version"), None);
}

pub async fn batches_are_atomic<B: Backend>(backend: &B, prefix: &str) {
    let store = backend.open().await;
    let s = stream(prefix, "b");
    let mut batch = events("E", 5);
    batch[3].event_type = String::new();
    let r = store.append(&s, ExpectedVersion::Any, batch).await;
    assert!(matches!(r, Err(StoreError::InvalidEvent { .. })), "{r:?}");
    let empty = store.append(&s, ExpectedVersion::Any, Vec::new()).await;
    assert!(
        matches!(empty, Err(StoreError::InvalidBatch(_))),
        "{empty:?}"
    );
    assert_eq!(store.stream_version(&s).await.expect("version"), None);
    assert!(read_all_with_prefix(&store, prefix).await.is_empty());

    let r = store
        .append(&s, ExpectedVersion::NoStream, events("E", 100))
        .await
        .expect("append");
    assert_eq!(r.next_version, 100);
    let all = read_all_with_prefix(&store, prefix).await;
    assert_eq!(all.len(), 100);
    if backend.dense_positions() {
        assert!(
            all.windows(2).all(|w| w[1].position == w[0].position + 1),
            "one append is contiguous in $all"
        );
    }
}

pub async fn concurrent_writers_get_one_total_order<B: Backend>(backend: &B, prefix: &str) {
    let store = Arc::new(backend.open().await);
    let writers = 8;
    let per_writer = 40;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = Arc::clone(&store);
            let prefix = prefix.to_owned();
            tokio::spawn(async move {
                let mut written = Vec::new();
                for i in 0..per_writer {
                    // Two writers share each stream, so expectations conflict.
                    let s = stream(&prefix, &format!("s{}", w % 4));
                    let batch = vec![event("E", i), event("E", i + 1000)];
                    loop {
                        let current = store.stream_version(&s).await.expect("version");
                        let expected =
                            current.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
                        match store.append(&s, expected, batch.clone()).await {
                            Ok(r) => {
                                written.push((r, batch.iter().map(|e| e.id).collect::<Vec<_>>()));
                                break;
                            }
                            Err(StoreError::WrongExpectedVersion { .. }) => continue,
                            Err(e) => panic!("append failed: {e}"),
                        }
                    }
                }
                written
            })
        })
        .collect();
    let mut acked: Vec<(AppendResult, Vec<Uuid>)> = Vec::new();
    for t in tasks {
        acked.extend(t.await.expect("join"));
    }
    let all = read_all_with_prefix(&*store, prefix).await;
    assert_eq!(all.len(), writers * per_writer * 2);
    assert!(
        all.windows(2).all(|w| w[0].position < w[1].position),
        "positions increase"
    );
    let ids: HashSet<Uuid> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), all.len(), "no event twice");
    for (_, batch_ids) in &acked {
        assert!(
            batch_ids.iter().all(|id| ids.contains(id)),
            "every acknowledged event is in $all"
        );
    }
    let mut last_version: HashMap<&str, u64> = HashMap::new();
    for e in &all {
        let expect = last_version.get(e.stream.as_str()).map_or(0, |v| v + 1);
        assert_eq!(e.version, expect, "stream revisions follow $all order");
        last_version.insert(e.stream.as_str(), e.version);
    }
    for (r, _) in &acked {
        let at = all
            .iter()
            .find(|e| e.position == r.position)
            .expect("acked position present");
        assert_eq!(at.version + 1, r.next_version);
    }
}

/// Collects events from a subscription until `want` of them (with our prefix) arrived.
async fn collect_prefixed(
    sub: &mut agora_events::EventSubscription,
    prefix: &str,
    want: usize,
    pause_every: Option<usize>,
) -> Vec<RecordedEvent> {
    let mut got = Vec::new();
    let mut seen = 0usize;
    while got.len() < want {
        let next = tokio::time::timeout(Duration::from_secs(30), sub.next())
            .await
            .unwrap_or_else(|_| {
                panic!("subscription stalled after {} of {want} events", got.len())
            });
        let event = next
            .expect("subscription ended early")
            .expect("subscription error");
        seen += 1;
        if let Some(every) = pause_every
            && seen.is_multiple_of(every)
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if event.stream.as_str().starts_with(prefix) {
            got.push(event);
        }
    }
    got
}

fn assert_in_order_without_gaps(got: &[RecordedEvent], dense: bool) {
    assert!(
        got.windows(2).all(|w| w[0].position < w[1].position),
        "subscription delivers in order"
    );
    if dense {
        assert!(
            got.windows(2).all(|w| w[1].position == w[0].position + 1),
            "no gap"
        );
    }
    let ids: HashSet<Uuid> = got.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), got.len(), "no duplicate");
}

pub async fn subscription_switches_from_catch_up_to_live_without_gap_or_duplicate<B: Backend>(
    backend: &B,
    prefix: &str,
) {
    let store = Arc::new(backend.open().await);
    let s = stream(prefix, "before");
    let first = store
        .append(&s, ExpectedVersion::Any, events("E", 1))
        .await
        .expect("append");
    for _ in 0..49 {
        store
            .append(&s, ExpectedVersion::Any, events("E", 4))
            .await
            .expect("append");
    }
    let before = 1 + 49 * 4;
    let mut sub = store.subscribe_all(first.position);
    // Writers race the subscription's switch from the log to live.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            let s = stream(prefix, &format!("live{w}"));
            tokio::spawn(async move {
                for i in 0..50 {
                    store
                        .append(&s, ExpectedVersion::Any, vec![event("E", i)])
                        .await
                        .expect("append");
                    if i % 10 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let got = collect_prefixed(&mut sub, prefix, before + 200, None).await;
    for w in writers {
        w.await.expect("join");
    }
    assert_in_order_without_gaps(&got, backend.dense_positions());
    assert_eq!(got[0].position, first.position);
    let all = read_all_with_prefix(&*store, prefix).await;
    assert_eq!(got, all, "the subscription saw exactly the log");

    // A subscription from past the head sees only what comes later.
    let head = store
        .head_position()
        .await
        .expect("head")
        .expect("not empty");
    let mut later = store.subscribe_all(head + 1);
    let r = store
        .append(&s, ExpectedVersion::Any, events("Late", 1))
        .await
        .expect("append");
    let got = collect_prefixed(&mut later, prefix, 1, None).await;
    assert_eq!(got[0].position, r.position);
}

pub async fn slow_subscriber_still_sees_everything<B: Backend>(backend: &B, prefix: &str) {
    let store = Arc::new(backend.open().await);
    let s = stream(prefix, "fast");
    let start = store
        .append(&s, ExpectedVersion::Any, events("E", 1))
        .await
        .expect("append")
        .position;
    let mut sub = store.subscribe_all(start);
    let total = 3000;
    let writer = {
        let store = Arc::clone(&store);
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..total / 3 {
                store
                    .append(
                        &s,
                        ExpectedVersion::Any,
                        vec![event("E", i), event("E", i), event("E", i)],
                    )
                    .await
                    .expect("append");
            }
        })
    };
    // Pauses make this consumer fall far behind the writer.
    let got = collect_prefixed(&mut sub, prefix, total + 1, Some(50)).await;
    writer.await.expect("join");
    assert_in_order_without_gaps(&got, backend.dense_positions());
    assert_eq!(
        got.iter().map(|e| e.version).collect::<Vec<_>>(),
        (0..=total as u64).collect::<Vec<_>>()
    );
}

pub async fn read_all_pages_through_the_log<B: Backend>(backend: &B, prefix: &str) {
    let store = backend.open().await;
    let s = stream(prefix, "p");
    store
        .append(&s, ExpectedVersion::Any, events("E", 25))
        .await
        .expect("append");
    let first = store
        .read_stream(&s, 0, 1, ReadDirection::Forward)
        .await
        .expect("first event")[0]
        .position;
    let mut from = first;
    let mut seen = Vec::new();
    while seen.len() < 25 {
        let page = store.read_all(from, 7).await.expect("page");
        assert!(page.len() <= 7);
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        seen.extend(page.into_iter().filter(|e| e.stream == s));
    }
    assert_eq!(
        seen.iter().map(|e| e.version).collect::<Vec<_>>(),
        (0..25).collect::<Vec<_>>()
    );
    let head = store
        .head_position()
        .await
        .expect("head")
        .expect("not empty");
    let past_head = store.read_all(head + 1, 10).await.expect("past head");
    assert!(
        past_head
            .iter()
            .all(|e| !e.stream.as_str().starts_with(prefix)),
        "nothing of ours lies past the head"
    );
    assert!(store.read_all(first, 0).await.expect("max 0").is_empty());
}
