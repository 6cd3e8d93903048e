//! `agora bench http`: a load client for a running `agora serve`.
//!
//! It first makes its own world over HTTP (creators publish items of every
//! kind, learners register and log in: see [`prepare`]), then opens
//! `--connections` keep-alive HTTP/1.1 connections, each a closed loop
//! running the mixed workload of [`workload`] for `--warmup` plus
//! `--duration` seconds, and reports requests/s overall and for commands,
//! and latency percentiles per class (reads, commands) and per operation,
//! measured from the first byte sent to the last byte of the answer.
//!
//! Threads: the client runs on its own tokio runtime of `--threads` worker
//! threads; on a small machine it competes with the server for the same
//! cores, which the report cannot hide — say so next to the figures.

mod conn;
mod cpu;
mod prepare;
mod workload;

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Args;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Report, grouped, per_second};
use crate::sample::{Rng, Zipf};
use conn::Connection;
use prepare::{Sizes, World};
use workload::{Mix, Op, OpStats, Window, Worker};

/// Exponent of the items' popularity (Zipf's law).
const POPULARITY_EXPONENT: f64 = 1.0;

/// `agora bench http`.
#[derive(Clone, Debug, Args)]
pub(crate) struct HttpArgs {
    /// The server to load, e.g. http://127.0.0.1:8080. Logging in many
    /// bench users needs a high `login_attempts_per_address` on it.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub(crate) url: String,

    /// Concurrent keep-alive connections, each a closed loop.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) connections: u32,

    /// Seconds measured.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) duration: u64,

    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 3)]
    pub(crate) warmup: u64,

    /// Reads in percent of all requests; the rest are commands.
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub(crate) read_percent: u32,

    /// Learners the bench registers and logs in (at least one per connection).
    #[arg(long, default_value_t = 256)]
    pub(crate) learners: usize,

    /// Creators the bench registers.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) creators: u64,

    /// Items the creators publish (a third each of articles, courses, columns).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) items: u64,

    /// Worker threads of the client's runtime.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) threads: u32,

    /// Process id of the server, to report the CPU it used while measured
    /// (read from /proc).
    #[arg(long, value_name = "PID")]
    pub(crate) server_pid: Option<u32>,

    /// Seed of the workload's choices.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the run measured.
#[derive(Debug, Serialize)]
pub(super) struct HttpReport {
    url: String,
    connections: u32,
    client_threads: u32,
    read_percent: u32,
    learners: usize,
    items: usize,
    prepare_seconds: f64,
    seconds: f64,
    requests: u64,
    requests_per_second: f64,
    reads: u64,
    reads_per_second: f64,
    commands: u64,
    commands_per_second: f64,
    /// Non-2xx answers.
    failed: u64,
    /// Requests without an answer.
    transport_errors: u64,
    read_latency_us: Latency,
    command_latency_us: Latency,
    by_op: Vec<OpReport>,
    /// Cores the server used while measured (with `--server-pid`).
    server_cpu_cores: Option<f64>,
    /// Cores this client used while measured.
    client_cpu_cores: Option<f64>,
}

/// Percentiles in microseconds.
#[derive(Debug, Serialize)]
struct Latency {
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        Self {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
        }
    }

    fn row(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        format!(
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// One operation's figures.
#[derive(Debug, Serialize)]
struct OpReport {
    op: &'static str,
    command: bool,
    requests: u64,
    failed: u64,
    transport_errors: u64,
    latency_us: Latency,
}

/// Prepares, runs the workload and reports.
pub(super) fn run(args: &HttpArgs) -> anyhow::Result<HttpReport> {
    let addr = address(&args.url)?;
    if args.learners < args.connections as usize {
        bail!(
            "--learners ({}) must be at least --connections ({}): each connection acts for its own learners",
            args.learners,
            args.connections
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads as usize)
        .enable_all()
        .build()
        .context("starting the client runtime")?;
    runtime.block_on(bench(addr, args))
}

/// `host:port` of an `http://host:port[/]` URL.
fn address(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url} is not an http:// URL"))?;
    let host = rest.trim_end_matches('/');
    host.to_socket_addrs()
        .with_context(|| format!("resolving {host}"))?
        .next()
        .with_context(|| format!("{host} resolves to no address"))
}

async fn bench(addr: SocketAddr, args: &HttpArgs) -> anyhow::Result<HttpReport> {
    let run_tag = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| format!("{:x}", d.as_secs()))
        .unwrap_or_default();
    let sizes = Sizes {
        run: run_tag,
        learners: args.learners,
        creators: args.creators as usize,
        items: args.items as usize,
        seed: args.seed,
    };
    let started = Instant::now();
    let World { learners, items } = prepare::prepare(addr, &sizes).await?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    let popularity = Arc::new(Zipf::new(items.len(), POPULARITY_EXPONENT));
    let items: Arc<[_]> = items.into();
    let connections = args.connections as usize;
    let mut shares = vec![Vec::new(); connections];
    for (k, learner) in learners.into_iter().enumerate() {
        shares[k % connections].push(learner);
    }
    let mix = Mix {
        read_percent: args.read_percent,
    };
    let start = Instant::now();
    let window = Window {
        record_from: start + Duration::from_secs(args.warmup),
        until: start + Duration::from_secs(args.warmup + args.duration),
    };
    let sampler = tokio::spawn(cpu_during(window, args.server_pid, args.duration));
    let mut tasks = Vec::with_capacity(connections);
    for (k, share) in shares.into_iter().enumerate() {
        let worker = Worker::new(
            Connection::new(addr),
            Rng::fork(args.seed, k as u64),
            share,
            Arc::clone(&items),
            Arc::clone(&popularity),
            mix,
        )?;
        tasks.push(tokio::spawn(worker.run(window)));
    }
    let mut by_op: Vec<OpStats> = Vec::new();
    for task in tasks {
        let stats = task.await.context("a connection task failed")?;
        if by_op.is_empty() {
            by_op = stats;
        } else {
            for (total, part) in by_op.iter_mut().zip(&stats) {
                total.merge(part)?;
            }
        }
    }
    let (server_cpu_cores, client_cpu_cores) = sampler.await.unwrap_or_default();
    let mut report = summarize(args, prepare_seconds, items.len(), &by_op)?;
    report.server_cpu_cores = server_cpu_cores;
    report.client_cpu_cores = client_cpu_cores;
    Ok(report)
}

/// Cores the server and this client used during the measured window.
async fn cpu_during(
    window: Window,
    server: Option<u32>,
    seconds: u64,
) -> (Option<f64>, Option<f64>) {
    let sample = || {
        (
            server.and_then(|pid| cpu::cpu_seconds(Some(pid))),
            cpu::cpu_seconds(None),
        )
    };
    tokio::time::sleep_until(window.record_from.into()).await;
    let before = sample();
    tokio::time::sleep_until(window.until.into()).await;
    let after = sample();
    let cores = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / seconds as f64);
    (cores(before.0, after.0), cores(before.1, after.1))
}

fn summarize(
    args: &HttpArgs,
    prepare_seconds: f64,
    items: usize,
    by_op: &[OpStats],
) -> anyhow::Result<HttpReport> {
    let seconds = args.duration as f64;
    let mut reads = workload::histogram()?;
    let mut commands = workload::histogram()?;
    let (mut failed, mut transport_errors) = (0, 0);
    let mut ops = Vec::new();
    for (op, stats) in Op::ALL.iter().zip(by_op) {
        let class = if op.is_command() {
            &mut commands
        } else {
            &mut reads
        };
        class.add(&stats.latency).context("merging histograms")?;
        failed += stats.failed;
        transport_errors += stats.transport_errors;
        ops.push(OpReport {
            op: op.name(),
            command: op.is_command(),
            requests: stats.latency.len(),
            failed: stats.failed,
            transport_errors: stats.transport_errors,
            latency_us: Latency::of(&stats.latency),
        });
    }
    let (read_count, command_count) = (reads.len(), commands.len());
    Ok(HttpReport {
        url: args.url.clone(),
        connections: args.connections,
        client_threads: args.threads,
        read_percent: args.read_percent,
        learners: args.learners,
        items,
        prepare_seconds,
        seconds,
        requests: read_count + command_count,
        requests_per_second: per_second((read_count + command_count) as f64, seconds),
        reads: read_count,
        reads_per_second: per_second(read_count as f64, seconds),
        commands: command_count,
        commands_per_second: per_second(command_count as f64, seconds),
        failed,
        transport_errors,
        read_latency_us: Latency::of(&reads),
        command_latency_us: Latency::of(&commands),
        by_op: ops,
        server_cpu_cores: None,
        client_cpu_cores: None,
    })
}

impl Report for HttpReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            (
                "bench http",
                format!(
                    "{} connections, {} client thread(s), {} % reads, {} learners, {} items, {}",
                    self.connections,
                    self.client_threads,
                    self.read_percent,
                    self.learners,
                    self.items,
                    self.url
                ),
            ),
            ("prepare seconds", format!("{:.1}", self.prepare_seconds)),
            ("measured seconds", format!("{:.0}", self.seconds)),
            (
                "requests",
                format!(
                    "{} ({}/s)",
                    grouped(self.requests as f64),
                    grouped(self.requests_per_second)
                ),
            ),
            (
                "reads",
                format!(
                    "{} ({}/s)",
                    grouped(self.reads as f64),
                    grouped(self.reads_per_second)
                ),
            ),
            (
                "commands",
                format!(
                    "{} ({}/s)",
                    grouped(self.commands as f64),
                    grouped(self.commands_per_second)
                ),
            ),
            (
                "failed (non-2xx)",
                format!(
                    "{} (+{} without answer)",
                    grouped(self.failed as f64),
                    self.transport_errors
                ),
            ),
            (
                "cores used",
                format!(
                    "server {}, client {}",
                    self.server_cpu_cores
                        .map_or_else(|| "?".to_owned(), |c| format!("{c:.2}")),
                    self.client_cpu_cores
                        .map_or_else(|| "?".to_owned(), |c| format!("{c:.2}"))
                ),
            ),
            ("read latency", self.read_latency_us.row()),
            ("command latency", self.command_latency_us.row()),
        ];
        for op in &self.by_op {
            rows.push((
                op.op,
                format!(
                    "{:>9} req, {} failed, {}",
                    grouped(op.requests as f64),
                    op.failed + op.transport_errors,
                    op.latency_us.row()
                ),
            ));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_addresses() {
        assert_eq!(
            address("http://127.0.0.1:8080/").ok(),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert!(address("https://127.0.0.1:8080").is_err());
        assert!(address("127.0.0.1:8080").is_err());
    }
}
