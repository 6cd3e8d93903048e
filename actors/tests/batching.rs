//! Commands for one aggregate instance are decided in batches and written
//! with one append per batch: these stories check that batching never
//! changes an answer — each command is decided against the state every
//! earlier one left, repeats of a keyed command get the first outcome, and
//! two writers on one stream (two registries, as two nodes would be) never
//! oversell.

use std::sync::Arc;
use std::time::Duration;

use agora_actors::aggregate::{
    Aggregate, CommandContext, CommandError, Execute, Registry, RegistryConfig, stream_name,
};
use agora_events::domain::{DomainDecodeError, DomainEvent};
use agora_events::{
    EventMetadata, EventStore, LogConfig, LogStore, ReadDirection, Timestamp, codec,
};
use futures::future::join_all;
use uuid::Uuid;

/// A box of `STOCK` tickets; each `Take` takes one until none is left.
#[derive(Clone, Default)]
struct TicketBox {
    taken: u32,
}

const STOCK: u32 = 10;

#[derive(Clone)]
struct Take;

#[derive(Clone, Debug, PartialEq)]
struct TicketTaken;

#[derive(Clone, Debug, thiserror::Error, PartialEq)]
#[error("sold out")]
struct SoldOut;

impl DomainEvent for TicketTaken {
    fn event_type(&self) -> &'static str {
        "TicketTaken"
    }

    fn encode_payload(&self) -> Result<Vec<u8>, codec::EncodeError> {
        Ok(Vec::new())
    }

    fn decode(event_type: &str, _: u32, _: &[u8]) -> Result<Self, DomainDecodeError> {
        match event_type {
            "TicketTaken" => Ok(TicketTaken),
            other => Err(DomainDecodeError::UnknownType(other.to_owned())),
        }
    }
}

impl Aggregate for TicketBox {
    type Command = Take;
    type Event = TicketTaken;
    type Error = SoldOut;
    const CATEGORY: &'static str = "box";

    fn handle(&self, _: &Take, _: &CommandContext) -> Result<Vec<TicketTaken>, SoldOut> {
        if self.taken >= STOCK {
            return Err(SoldOut);
        }
        Ok(vec![TicketTaken])
    }

    fn apply(&mut self, _: &TicketTaken) {
        self.taken += 1;
    }
}

fn take(key: Option<Uuid>, expected_version: Option<Option<u64>>) -> Execute<TicketBox> {
    Execute {
        command: Take,
        expected_version,
        idempotency_key: key,
        metadata: EventMetadata::default(),
        now: Timestamp(0),
    }
}

fn store(dir: &std::path::Path) -> Arc<dyn EventStore> {
    Arc::new(LogStore::open(dir.join("log"), LogConfig::default()).expect("open store"))
}

fn registry(store: &Arc<dyn EventStore>) -> Registry<TicketBox> {
    Registry::new(
        Arc::clone(store),
        RegistryConfig {
            idle_after: Duration::from_secs(60),
            arbiters: 2,
            ..RegistryConfig::default()
        },
    )
}

async fn events_in(store: &Arc<dyn EventStore>, id: &str) -> usize {
    let stream = stream_name::<TicketBox>(id).expect("stream name");
    store
        .read_stream(&stream, 0, 10_000, ReadDirection::Forward)
        .await
        .expect("read")
        .len()
}

#[actix_rt::test]
async fn fifty_concurrent_takes_of_ten_tickets_sell_exactly_ten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path());
    let boxes = registry(&store);

    let answers = join_all((0..50).map(|_| boxes.execute("a", take(None, None)))).await;

    let mut versions: Vec<u64> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|done| done.version.expect("a written command has a version"))
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (0..u64::from(STOCK)).collect::<Vec<_>>());
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(CommandError::Domain(SoldOut))))
        .count();
    assert_eq!(refused, 40);
    assert_eq!(events_in(&store, "a").await, STOCK as usize);
}

#[actix_rt::test]
async fn concurrent_repeats_of_one_key_write_once_and_answer_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path());
    let boxes = registry(&store);
    let key = Uuid::new_v4();

    let answers = join_all((0..20).map(|_| boxes.execute("b", take(Some(key), None)))).await;

    let done: Vec<_> = answers
        .into_iter()
        .map(|a| a.expect("every repeat succeeds"))
        .collect();
    assert_eq!(done.iter().filter(|d| !d.replayed).count(), 1);
    assert!(
        done.iter()
            .all(|d| d.version == Some(0) && d.events.len() == 1)
    );
    assert_eq!(events_in(&store, "b").await, 1);
}

#[actix_rt::test]
async fn an_expected_version_is_checked_against_the_commands_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path());
    let boxes = registry(&store);

    // Both expect a fresh box; whichever is decided second sees version 0.
    let answers = join_all([
        boxes.execute("c", take(None, Some(None))),
        boxes.execute("c", take(None, Some(None))),
    ])
    .await;

    let ok = answers.iter().filter(|a| a.is_ok()).count();
    let stale = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Err(CommandError::VersionMismatch {
                    expected: None,
                    actual: Some(0)
                })
            )
        })
        .count();
    assert_eq!((ok, stale), (1, 1));
    assert_eq!(events_in(&store, "c").await, 1);
}

#[actix_rt::test]
async fn two_writers_on_one_stream_never_oversell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path());
    // Two registries over one store: each believes it owns the instance,
    // as two nodes on a shared store would; appends race on the version.
    let first = registry(&store);
    let second = registry(&store);

    let answers = join_all((0..40).map(|i| {
        let boxes = if i % 2 == 0 { &first } else { &second };
        boxes.execute("d", take(None, None))
    }))
    .await;

    let sold = answers.iter().filter(|a| a.is_ok()).count();
    let refused_or_contended = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Err(CommandError::Domain(SoldOut) | CommandError::Contended)
            )
        })
        .count();
    assert_eq!(events_in(&store, "d").await, sold);
    assert!(sold <= STOCK as usize, "sold {sold} of {STOCK}");
    assert_eq!(sold + refused_or_contended, 40);
}
