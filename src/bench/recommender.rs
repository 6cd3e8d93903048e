//! `agora bench recommender`: the factorizer at scale on a synthetic
//! power-law interaction matrix — seconds per ALS iteration, peak memory,
//! and the latency of one user's top-k.
//!
//! The data: user `u` (ranked by activity) draws about
//! `interactions · (u+1)^-user_exponent / Σ` items (at least 1, at most a
//! quarter of the catalog), each from a Zipf law over items with
//! `item_exponent`, repeats dropped; every cell weighs 1. Each user's row
//! comes from its own seeded generator, so the matrix depends on the flags
//! alone, not on the number of threads.

use std::time::Instant;

use agora_actors::factorizer::{
    IdIndex, ImplicitSettings, InteractionMatrix, SparseRows, implicit::fit_implicit_with,
};
use agora_actors::matching::synthetic::SplitMix64;
use clap::Args;
use hdrhistogram::Histogram;
use rayon::prelude::*;
use serde::Serialize;

use super::{Report, grouped};

/// `agora bench recommender`.
#[derive(Clone, Debug, Args)]
pub(crate) struct RecommenderArgs {
    /// Users (rows).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) users: u64,
    /// Items (columns).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(4..))]
    pub(crate) items: u64,
    /// Interactions to draw (repeats within a user are dropped, so the
    /// matrix holds a little fewer).
    #[arg(long, default_value_t = 50_000_000)]
    pub(crate) interactions: u64,
    /// Power-law exponent of user activity.
    #[arg(long, default_value_t = 0.5)]
    pub(crate) user_exponent: f64,
    /// Zipf exponent of item popularity.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) item_exponent: f64,
    /// Latent factors.
    #[arg(long, default_value_t = 64)]
    pub(crate) factors: usize,
    /// ALS iterations timed.
    #[arg(long, default_value_t = 3)]
    pub(crate) iterations: usize,
    /// Conjugate-gradient steps per row solve.
    #[arg(long, default_value_t = 3)]
    pub(crate) cg_steps: usize,
    /// Top-k queries timed (one user each, sequential).
    #[arg(long, default_value_t = 1000)]
    pub(crate) queries: usize,
    /// Items per recommendation.
    #[arg(long, default_value_t = 10)]
    pub(crate) k: usize,
    /// Seed of the data and of the model.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the bench measured.
#[derive(Debug, Serialize)]
pub(crate) struct RecommenderReport {
    users: usize,
    items: usize,
    interactions: usize,
    factors: usize,
    threads: usize,
    generate_seconds: f64,
    matrix_seconds: f64,
    iterations: usize,
    seconds_per_iteration: f64,
    fit_seconds: f64,
    recommend_p50_us: u64,
    recommend_p99_us: u64,
    recommend_max_us: u64,
    batch_users_per_second: f64,
    peak_memory_bytes: Option<u64>,
}

impl Report for RecommenderReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "matrix",
                format!(
                    "{} users × {} items, {} interactions",
                    grouped(self.users as f64),
                    grouped(self.items as f64),
                    grouped(self.interactions as f64)
                ),
            ),
            ("threads", self.threads.to_string()),
            (
                "generate / build",
                format!(
                    "{:.1} s / {:.1} s",
                    self.generate_seconds, self.matrix_seconds
                ),
            ),
            (
                "fit",
                format!(
                    "{} iterations, {} factors: {:.1} s, {:.2} s/iteration",
                    self.iterations, self.factors, self.fit_seconds, self.seconds_per_iteration
                ),
            ),
            (
                "top-k latency",
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    self.recommend_p50_us as f64 / 1e3,
                    self.recommend_p99_us as f64 / 1e3,
                    self.recommend_max_us as f64 / 1e3
                ),
            ),
            (
                "batched top-k",
                format!("{} users/s", grouped(self.batch_users_per_second)),
            ),
            (
                "peak memory (VmHWM)",
                self.peak_memory_bytes.map_or("unknown".into(), |b| {
                    format!("{:.2} GiB", b as f64 / f64::from(1u32 << 30))
                }),
            ),
        ]
    }
}

/// Cumulative weights `Σ_{r ≤ i} (r+1)^-s`, normalised to end at 1.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (0..n)
        .map(|r| {
            acc += ((r + 1) as f64).powf(-s);
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

/// Each user's sorted, distinct items.
fn generate(args: &RecommenderArgs) -> Vec<Vec<u32>> {
    let (users, items) = (args.users as usize, args.items as usize);
    let item_cdf = zipf_cdf(items, args.item_exponent);
    let user_cdf = zipf_cdf(users, args.user_exponent);
    let cap = (items / 4).max(1);
    (0..users)
        .into_par_iter()
        .map(|u| {
            let share = user_cdf[u] - if u == 0 { 0.0 } else { user_cdf[u - 1] };
            let want = ((args.interactions as f64 * share).round() as usize).clamp(1, cap);
            let mut rng = SplitMix64(args.seed ^ (u as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            let mut row: Vec<u32> = (0..want)
                .map(|_| {
                    let x = rng.unit();
                    item_cdf.partition_point(|&c| c < x).min(items - 1) as u32
                })
                .collect();
            row.sort_unstable();
            row.dedup();
            row
        })
        .collect()
}

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the bench.
pub(crate) fn run(args: &RecommenderArgs) -> anyhow::Result<RecommenderReport> {
    let started = Instant::now();
    let rows = generate(args);
    let generate_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (users, items) = (args.users as usize, args.items as usize);
    let mut indptr = Vec::with_capacity(users + 1);
    indptr.push(0);
    let nnz: usize = rows.iter().map(Vec::len).sum();
    let mut indices = Vec::with_capacity(nnz);
    for row in rows {
        indices.extend(row.into_iter().map(|i| i as usize));
        indptr.push(indices.len());
    }
    let data = vec![1.0f32; nnz];
    let user_rows = SparseRows::from_csr((users, items), indptr, indices, data)
        .ok_or_else(|| anyhow::anyhow!("the generated rows are not valid CSR"))?;
    let user_ids: IdIndex = (0..users).map(|u| format!("u{u}")).collect();
    let item_ids: IdIndex = (0..items).map(|i| format!("i{i}")).collect();
    let matrix = InteractionMatrix::from_user_rows(user_ids, item_ids, user_rows)
        .ok_or_else(|| anyhow::anyhow!("the matrix shape does not match its ids"))?;
    let matrix_seconds = started.elapsed().as_secs_f64();

    let settings = ImplicitSettings {
        factors: args.factors,
        iterations: args.iterations,
        cg_steps: args.cg_steps,
        seed: args.seed,
        ..ImplicitSettings::default()
    };
    let started = Instant::now();
    let mut marks = Vec::with_capacity(args.iterations);
    let model = fit_implicit_with(&matrix, &settings, |_, _, _| marks.push(Instant::now()))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let seconds_per_iteration = if marks.is_empty() {
        0.0
    } else {
        // From the first sweep's end to the last's, so set-up is not counted
        // (with one iteration, the whole fit).
        match (marks.first(), marks.last()) {
            (Some(first), Some(last)) if marks.len() > 1 => {
                last.duration_since(*first).as_secs_f64() / (marks.len() - 1) as f64
            }
            _ => fit_seconds,
        }
    };

    let mut rng = SplitMix64(args.seed);
    let queried: Vec<usize> = (0..args.queries)
        .map(|_| (rng.next_u64() % users as u64) as usize)
        .collect();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for &u in &queried {
        let t = Instant::now();
        let recs = model.recommend(u, args.k, matrix.user_items().row(u).0);
        let us = t.elapsed().as_micros() as u64;
        latency.saturating_record(us.max(1));
        std::hint::black_box(recs);
    }
    let t = Instant::now();
    let batch = model.recommend_batch(&queried, args.k, |u| matrix.user_items().row(u).0);
    let batch_seconds = t.elapsed().as_secs_f64();
    std::hint::black_box(batch);
    Ok(RecommenderReport {
        users,
        items,
        interactions: matrix.user_items().nnz(),
        factors: args.factors,
        threads: rayon::current_num_threads(),
        generate_seconds,
        matrix_seconds,
        iterations: args.iterations,
        seconds_per_iteration,
        fit_seconds,
        recommend_p50_us: latency.value_at_quantile(0.50),
        recommend_p99_us: latency.value_at_quantile(0.99),
        recommend_max_us: latency.max(),
        batch_users_per_second: super::per_second(queried.len() as f64, batch_seconds),
        peak_memory_bytes: peak_memory(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> RecommenderArgs {
        RecommenderArgs {
            users: 200,
            items: 50,
            interactions: 2_000,
            user_exponent: 0.5,
            item_exponent: 0.8,
            factors: 4,
            iterations: 2,
            cg_steps: 2,
            queries: 20,
            k: 5,
            seed: 7,
            json: false,
        }
    }

    #[test]
    fn the_data_is_seeded_power_law_and_the_bench_runs() {
        let args = small();
        let a = generate(&args);
        assert_eq!(a, generate(&args), "the same seed gives the same rows");
        assert!(a.iter().all(|row| row.windows(2).all(|w| w[0] < w[1])));
        let count = |u: usize| a[u].len();
        assert!(count(0) > count(199), "the first users are the most active");
        let mut per_item = vec![0usize; 50];
        for row in &a {
            for &i in row {
                per_item[i as usize] += 1;
            }
        }
        assert!(
            per_item[0] > per_item[49],
            "the first items are the most popular"
        );
        let report = run(&args).expect("runs");
        assert_eq!(report.users, 200);
        assert_eq!(report.interactions, a.iter().map(Vec::len).sum::<usize>());
        assert!(report.recommend_p50_us <= report.recommend_p99_us);
    }
}
