//! Model-based property test of the embedded log: random sequences of
//! appends (random streams, expectations, batch sizes, repeats of earlier
//! batches) against a plain in-memory model of the contract, then a reopen
//! — the log must agree with the model at every step and after restart.

use std::collections::HashMap;

use agora_events::{
    AppendResult, EventStore, ExpectedVersion, LogConfig, LogStore, NewEvent, ReadDirection,
    StoreError, StreamName,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Append `size` new events to stream `stream` with an expectation.
    Append {
        stream: u8,
        expected: Expect,
        size: u8,
    },
    /// Repeat the `nth` earlier successful append exactly.
    Repeat { nth: usize },
    /// Reopen the store.
    Reopen,
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    Any,
    NoStream,
    StreamExists,
    Current,
    Stale,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, prop_oneof![
            Just(Expect::Any), Just(Expect::NoStream), Just(Expect::StreamExists), Just(Expect::Current), Just(Expect::Stale)
        ], 1u8..5).prop_map(|(stream, expected, size)| Op::Append { stream, expected, size }),
        2 => any::<usize>().prop_map(|nth| Op::Repeat { nth }),
        1 => Just(Op::Reopen),
    ]
}

/// The contract, for one process, in a few lines.
#[derive(Default)]
struct Model {
    streams: HashMap<String, Vec<u64>>,
    all: Vec<(String, u64, uuid::Uuid)>,
}

impl Model {
    fn last(&self, stream: &str) -> Option<u64> {
        self.streams
            .get(stream)
            .and_then(|v| v.len().checked_sub(1))
            .map(|v| v as u64)
    }

    fn append(
        &mut self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, ()> {
        if !expected.is_satisfied_by(self.last(stream)) {
            return Err(());
        }
        let first_version = self.last(stream).map_or(0, |v| v + 1);
        for (k, e) in events.iter().enumerate() {
            let position = self.all.len() as u64;
            self.all
                .push((stream.to_owned(), first_version + k as u64, e.id));
            self.streams
                .entry(stream.to_owned())
                .or_default()
                .push(position);
        }
        Ok(AppendResult {
            first_version,
            next_version: first_version + events.len() as u64,
            position: self.all.len() as u64 - 1,
        })
    }
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 2048,
        ..LogConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_log_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Some(LogStore::open(dir.path(), config()).expect("open"));
        let mut model = Model::default();
        let mut done: Vec<(String, Vec<NewEvent>, AppendResult)> = Vec::new();
        for op in ops {
            match op {
                Op::Append { stream, expected, size } => {
                    let name = format!("s{stream}");
                    let expected = match expected {
                        Expect::Any => ExpectedVersion::Any,
                        Expect::NoStream => ExpectedVersion::NoStream,
                        Expect::StreamExists => ExpectedVersion::StreamExists,
                        Expect::Current => model.last(&name).map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                        Expect::Stale => ExpectedVersion::Exact(model.last(&name).map_or(3, |v| v + 1)),
                    };
                    let events: Vec<NewEvent> = (0..size).map(|i| NewEvent::new("E", vec![i; usize::from(i) * 37])).collect();
                    let s = StreamName::new(name.clone()).expect("name");
                    let got = rt.block_on(store.as_ref().expect("open").append(&s, expected, events.clone()));
                    match (model.append(&name, expected, &events), got) {
                        (Ok(want), Ok(got)) => {
                            prop_assert_eq!(want, got);
                            done.push((name, events, got));
                        }
                        (Err(()), Err(StoreError::WrongExpectedVersion { .. })) => {}
                        (want, got) => prop_assert!(false, "model {:?}, log {:?}", want, got),
                    }
                }
                Op::Repeat { nth } => {
                    if done.is_empty() {
                        continue;
                    }
                    let (name, events, original) = done[nth % done.len()].clone();
                    let s = StreamName::new(name).expect("name");
                    let got = rt.block_on(store.as_ref().expect("open").append(&s, ExpectedVersion::Any, events));
                    prop_assert_eq!(got.ok(), Some(original), "a repeat answers the original result");
                }
                Op::Reopen => {
                    drop(store.take());
                    store = Some(LogStore::open(dir.path(), config()).expect("reopen"));
                }
            }
        }
        drop(store.take());
        let store = LogStore::open(dir.path(), config()).expect("final reopen");
        let all = rt.block_on(store.read_all(0, usize::MAX)).expect("read_all");
        let got: Vec<(String, u64, uuid::Uuid)> = all.iter().map(|e| (e.stream.to_string(), e.version, e.id)).collect();
        prop_assert_eq!(&got, &model.all);
        for (name, positions) in &model.streams {
            let s = StreamName::new(name.clone()).expect("name");
            let read = rt.block_on(store.read_stream(&s, 0, usize::MAX, ReadDirection::Forward)).expect("read");
            prop_assert_eq!(read.iter().map(|e| e.position).collect::<Vec<_>>(), positions.clone());
        }
        let chain = rt.block_on(store.verify_chain(0, None)).expect("verify");
        prop_assert_eq!(chain.checked, model.all.len() as u64);
        prop_assert!(chain.first_break.is_none());
    }
}
