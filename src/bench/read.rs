//! The read flood: read every event of `$all` from position 0 up to the head
//! the store had when the run started, decoded into `RecordedEvent`s.
//!
//! Either paged with `read_all(from, max)` by `readers` concurrent readers,
//! each over its own contiguous slice of positions (one blocking thread
//! each), or through one `subscribe_all(0)` catch-up subscription.

use std::time::Instant;

use agora_events::{EventStore, LogStore, RecordedEvent};
use anyhow::{Context, bail};
use futures::StreamExt;
use serde::Serialize;

use super::{Report, grouped, log_bytes, megabytes, per_second};
use crate::cli::ReadArgs;
use crate::commands::runtime;
use crate::config::Settings;
use crate::store;

/// What the flood read and how fast.
#[derive(Debug, Serialize)]
pub(super) struct ReadReport {
    mode: &'static str,
    readers: u32,
    page_size: u32,
    events: u64,
    payload_bytes: u64,
    /// Size of the log's segment files, all read.
    log_bytes: u64,
    seconds: f64,
    events_per_second: f64,
    payload_mb_per_second: f64,
    log_mb_per_second: f64,
}

/// Events and payload bytes seen by one reader.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    events: u64,
    payload_bytes: u64,
}

impl Tally {
    fn count(&mut self, event: &RecordedEvent) {
        self.events += 1;
        self.payload_bytes += event.payload.len() as u64;
    }
}

/// Opens the store, reads it all, closes it.
pub(super) fn run(settings: &Settings, args: &ReadArgs) -> anyhow::Result<ReadReport> {
    let store = store::open(settings)?;
    let head = store.stats().head;
    let log_bytes = log_bytes(&settings.data_dir)?;
    let runtime = runtime()?;
    let started = Instant::now();
    let tally = if args.subscribe {
        runtime.block_on(subscribe(&store, head))?
    } else {
        runtime.block_on(read_pages(&store, head, args))?
    };
    let seconds = started.elapsed().as_secs_f64();
    drop(store);
    if tally.events != head {
        bail!("read {} events where the log holds {head}", tally.events);
    }
    Ok(ReadReport {
        mode: if args.subscribe {
            "subscribe_all"
        } else {
            "read_all"
        },
        readers: if args.subscribe { 1 } else { args.readers },
        page_size: args.max,
        events: tally.events,
        payload_bytes: tally.payload_bytes,
        log_bytes,
        seconds,
        events_per_second: per_second(tally.events as f64, seconds),
        payload_mb_per_second: per_second(tally.payload_bytes as f64, seconds) / 1e6,
        log_mb_per_second: per_second(log_bytes as f64, seconds) / 1e6,
    })
}

/// Splits `[0, head)` into one slice per reader and reads them concurrently.
async fn read_pages(store: &LogStore, head: u64, args: &ReadArgs) -> anyhow::Result<Tally> {
    let readers = u64::from(args.readers);
    let page = args.max as usize;
    let runtime = tokio::runtime::Handle::current();
    let slices: Vec<_> = (0..readers)
        .map(|k| {
            let (from, to) = (head * k / readers, head * (k + 1) / readers);
            let store = store.clone();
            let runtime = runtime.clone();
            // Reads of the embedded log are blocking `pread`s: give each reader a thread.
            tokio::task::spawn_blocking(move || {
                runtime.block_on(read_slice(&store, from, to, page))
            })
        })
        .collect();
    let mut total = Tally::default();
    for slice in slices {
        let tally = slice.await.context("a reader failed")??;
        total.events += tally.events;
        total.payload_bytes += tally.payload_bytes;
    }
    Ok(total)
}

/// Pages through positions `[from, to)`.
async fn read_slice(store: &LogStore, from: u64, to: u64, page: usize) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut next = from;
    while next < to {
        let max = page.min((to - next) as usize);
        let events = store
            .read_all(next, max)
            .await
            .with_context(|| format!("reading $all from position {next}"))?;
        let Some(last) = events.last() else {
            bail!("read_all returned nothing at position {next}, below the head {to}");
        };
        next = last.position + 1;
        events.iter().for_each(|e| tally.count(e));
    }
    Ok(tally)
}

/// Follows a catch-up subscription from 0 until it delivered `head` events.
async fn subscribe(store: &LogStore, head: u64) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut events = store.subscribe_all(0);
    while tally.events < head {
        match events.next().await {
            Some(event) => tally.count(&event.context("subscription failed")?),
            None => bail!(
                "the subscription ended after {} of {head} events",
                tally.events
            ),
        }
    }
    Ok(tally)
}

impl Report for ReadReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "bench read",
                format!(
                    "{} of $all, {} reader(s), pages of {}",
                    self.mode, self.readers, self.page_size
                ),
            ),
            ("events", grouped(self.events as f64)),
            ("seconds", format!("{:.3}", self.seconds)),
            ("events/s", grouped(self.events_per_second)),
            (
                "payload",
                format!(
                    "{} ({:.1} MB/s)",
                    megabytes(self.payload_bytes as f64),
                    self.payload_mb_per_second
                ),
            ),
            (
                "log",
                format!(
                    "{} ({:.1} MB/s)",
                    megabytes(self.log_bytes as f64),
                    self.log_mb_per_second
                ),
            ),
        ]
    }
}
