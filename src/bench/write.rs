//! The append flood: `clients` concurrent tasks, each making
//! `requests_per_client` appends one after another, each append carrying
//! `batch_size` events of `event_size` payload bytes, with expected version
//! *any*, round-robin over `streams` streams (request `i` of client `c` goes
//! to stream `(c + i * clients) % streams`). Every acknowledgement comes after
//! the `fdatasync` that made the append durable, so the figures are for
//! durable writes; the commit count shows how many appends each sync covered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_events::{EventStore, ExpectedVersion, LogStats, LogStore, NewEvent, StreamName};
use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Report, grouped, megabytes, per_second};
use crate::cli::WriteArgs;
use crate::commands::runtime;
use crate::config::Settings;
use crate::store;

/// Type name of the events the flood writes.
const EVENT_TYPE: &str = "BenchEventWritten";
/// Highest latency the histogram tracks, in microseconds (one hour).
const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Significant figures the histogram keeps.
const LATENCY_PRECISION: u8 = 3;

/// What the flood did and how fast.
#[derive(Debug, Serialize)]
pub(super) struct WriteReport {
    clients: u32,
    requests_per_client: u64,
    streams: u64,
    event_size: usize,
    batch_size: u32,
    events: u64,
    appends: u64,
    seconds: f64,
    events_per_second: f64,
    appends_per_second: f64,
    /// Append latency (send to durable acknowledgement), in microseconds.
    latency_us: Latency,
    /// Group commits, one `fdatasync` each.
    commits: u64,
    events_per_commit: f64,
    bytes_written: u64,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Serialize)]
struct Latency {
    mean: f64,
    p50: u64,
    p90: u64,
    p99: u64,
    p99_9: u64,
    max: u64,
}

impl Latency {
    fn from_histogram(h: &Histogram<u64>) -> Self {
        Self {
            mean: h.mean(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p99_9: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// Opens the store, runs the flood, closes the store.
pub(super) fn run(settings: &Settings, args: &WriteArgs) -> anyhow::Result<WriteReport> {
    let store = store::open(settings)?;
    let report = runtime()?.block_on(flood(&store, args))?;
    drop(store);
    Ok(report)
}

async fn flood(store: &LogStore, args: &WriteArgs) -> anyhow::Result<WriteReport> {
    let streams: Arc<[StreamName]> = (0..args.streams)
        .map(|k| StreamName::new(format!("bench-{k}")))
        .collect::<Result<_, _>>()
        .context("naming the bench streams")?;
    let before = store.stats();
    let started = Instant::now();
    let writers: Vec<_> = (0..args.clients)
        .map(|client| {
            let writer = Writer {
                store: store.clone(),
                streams: Arc::clone(&streams),
                client,
                args: args.clone(),
            };
            tokio::spawn(writer.run())
        })
        .collect();
    let mut latencies = new_histogram()?;
    for writer in writers {
        let histogram = writer.await.context("a writer task failed")??;
        latencies
            .add(&histogram)
            .context("merging latency histograms")?;
    }
    let elapsed = started.elapsed();
    Ok(summarize(
        args,
        elapsed,
        &latencies,
        &before,
        &store.stats(),
    ))
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, LATENCY_PRECISION)
        .context("creating a latency histogram")
}

/// One client of the flood.
struct Writer {
    store: LogStore,
    streams: Arc<[StreamName]>,
    client: u32,
    args: WriteArgs,
}

impl Writer {
    /// Makes this client's appends in order; returns their latencies.
    async fn run(self) -> anyhow::Result<Histogram<u64>> {
        let mut latencies = new_histogram()?;
        let body = payload(self.args.event_size, u64::from(self.client));
        let clients = u64::from(self.args.clients);
        for i in 0..self.args.requests_per_client {
            let k = (u64::from(self.client) + i * clients) % self.streams.len() as u64;
            let stream = &self.streams[k as usize];
            let events = (0..self.args.batch_size)
                .map(|_| NewEvent::new(EVENT_TYPE, body.clone()))
                .collect();
            let sent = Instant::now();
            self.store
                .append(stream, ExpectedVersion::Any, events)
                .await
                .with_context(|| format!("client {} appending to {stream}", self.client))?;
            latencies.saturating_record(sent.elapsed().as_micros() as u64);
        }
        Ok(latencies)
    }
}

fn summarize(
    args: &WriteArgs,
    elapsed: Duration,
    latencies: &Histogram<u64>,
    before: &LogStats,
    after: &LogStats,
) -> WriteReport {
    let seconds = elapsed.as_secs_f64();
    let appends = u64::from(args.clients) * args.requests_per_client;
    let events = appends * u64::from(args.batch_size);
    let commits = after.commits - before.commits;
    WriteReport {
        clients: args.clients,
        requests_per_client: args.requests_per_client,
        streams: args.streams,
        event_size: args.event_size,
        batch_size: args.batch_size,
        events,
        appends,
        seconds,
        events_per_second: per_second(events as f64, seconds),
        appends_per_second: per_second(appends as f64, seconds),
        latency_us: Latency::from_histogram(latencies),
        commits,
        events_per_commit: per_second(events as f64, commits as f64),
        bytes_written: after.bytes_written - before.bytes_written,
    }
}

impl Report for WriteReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        let ms = |us: u64| format!("{:.3} ms", us as f64 / 1000.0);
        let l = &self.latency_us;
        vec![
            (
                "bench write",
                format!(
                    "{} clients x {} appends x {} event(s) of {} bytes, over {} streams",
                    self.clients,
                    self.requests_per_client,
                    self.batch_size,
                    self.event_size,
                    self.streams
                ),
            ),
            ("events", grouped(self.events as f64)),
            ("seconds", format!("{:.3}", self.seconds)),
            ("events/s", grouped(self.events_per_second)),
            ("appends/s", grouped(self.appends_per_second)),
            ("latency mean", format!("{:.3} ms", l.mean / 1000.0)),
            ("latency p50", ms(l.p50)),
            ("latency p90", ms(l.p90)),
            ("latency p99", ms(l.p99)),
            ("latency p99.9", ms(l.p99_9)),
            ("latency max", ms(l.max)),
            (
                "commits (fsync)",
                format!(
                    "{} ({:.1} events per commit)",
                    grouped(self.commits as f64),
                    self.events_per_commit
                ),
            ),
            (
                "written",
                format!(
                    "{} ({}/s)",
                    megabytes(self.bytes_written as f64),
                    megabytes(per_second(self.bytes_written as f64, self.seconds))
                ),
            ),
        ]
    }
}

/// `size` pseudo-random bytes (xorshift64 seeded by `seed`), so payloads
/// are not runs of zeros. Shared by every event of a client (cloning
/// [`Bytes`] does not copy).
fn payload(size: usize, seed: u64) -> Bytes {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect::<Vec<u8>>()
        .into()
}
