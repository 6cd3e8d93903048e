//! `agora bench assignment`: the exact global assignment on a synthetic
//! tender (default 2,000 requirements × 500 vendors × 20 bids each,
//! capacities 1–5, seed 42): solve time (median of several runs), the
//! optimum, the greedy total and the gap. `--export FILE` writes the
//! instance as JSON for the peer solver (`benches/assignment/peer.py`,
//! scipy's `linear_sum_assignment` on the capacity-expanded matrix).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use agora_actors::matching::assignment::{Instance, SCALE, is_feasible};
use agora_actors::matching::greedy;
use agora_actors::matching::synthetic::{TenderShape, tender};
use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::{Report, grouped};

/// `agora bench assignment`.
#[derive(Clone, Debug, Args)]
pub(crate) struct AssignmentArgs {
    /// Requirements.
    #[arg(long, default_value_t = 2_000)]
    pub(crate) requirements: usize,
    /// Vendors.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) vendors: u64,
    /// Bids per requirement (from distinct vendors).
    #[arg(long, default_value_t = 20)]
    pub(crate) bids: usize,
    /// Smallest remaining capacity of a vendor.
    #[arg(long, default_value_t = 1)]
    pub(crate) min_capacity: u32,
    /// Largest remaining capacity of a vendor.
    #[arg(long, default_value_t = 5)]
    pub(crate) max_capacity: u32,
    /// Seed of the tender.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Timed solves (the median is reported).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) runs: u64,
    /// Write the instance as JSON (`{capacities, bids: [[r, v, weight]]}`,
    /// weights in millionths) and the optimum to this file.
    #[arg(long)]
    pub(crate) export: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the bench measured.
#[derive(Debug, Serialize)]
pub(crate) struct AssignmentReport {
    requirements: usize,
    vendors: usize,
    bids: usize,
    total_capacity: u64,
    seed: u64,
    runs: u64,
    solve_seconds_median: f64,
    solve_seconds_min: f64,
    solve_seconds_max: f64,
    greedy_seconds_median: f64,
    optimum: f64,
    optimum_micros: i64,
    greedy_total: f64,
    greedy_total_micros: i64,
    gap: f64,
    gap_percent: f64,
    assigned: usize,
    greedy_assigned: usize,
}

impl Report for AssignmentReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "tender",
                format!(
                    "{} requirements × {} vendors, {} bids, total capacity {}, seed {}",
                    grouped(self.requirements as f64),
                    grouped(self.vendors as f64),
                    grouped(self.bids as f64),
                    grouped(self.total_capacity as f64),
                    self.seed
                ),
            ),
            (
                "solve (exact)",
                format!(
                    "median {:.3} s (min {:.3}, max {:.3}) over {} runs",
                    self.solve_seconds_median,
                    self.solve_seconds_min,
                    self.solve_seconds_max,
                    self.runs
                ),
            ),
            (
                "greedy",
                format!("median {:.4} s", self.greedy_seconds_median),
            ),
            (
                "optimum",
                format!(
                    "{:.6} ({} requirements assigned)",
                    self.optimum, self.assigned
                ),
            ),
            (
                "greedy total",
                format!(
                    "{:.6} ({} requirements assigned)",
                    self.greedy_total, self.greedy_assigned
                ),
            ),
            (
                "gap",
                format!("{:.6} ({:.3} % of the optimum)", self.gap, self.gap_percent),
            ),
        ]
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// Generates the tender, solves it `runs` times exactly and greedily, and
/// checks both answers are feasible.
pub(crate) fn run(args: &AssignmentArgs) -> anyhow::Result<AssignmentReport> {
    let shape = TenderShape {
        requirements: args.requirements,
        vendors: args.vendors as usize,
        bids_per_requirement: args.bids,
        min_capacity: args.min_capacity,
        max_capacity: args.max_capacity,
        seed: args.seed,
    };
    let instance = tender(shape).context("generating the tender")?;
    let mut solve_times = Vec::new();
    let mut greedy_times = Vec::new();
    let mut optimum = None;
    let mut greedy_solution = None;
    for _ in 0..args.runs {
        let started = Instant::now();
        let solution = instance.solve();
        solve_times.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let g = greedy::solve(&instance);
        greedy_times.push(started.elapsed().as_secs_f64());
        if optimum.as_ref().is_some_and(|o| o != &solution) {
            bail!("two runs of the solver disagree");
        }
        optimum = Some(solution);
        greedy_solution = Some(g);
    }
    let (Some(optimum), Some(greedy_solution)) = (optimum, greedy_solution) else {
        bail!("no run");
    };
    if !is_feasible(&instance, &optimum) || !is_feasible(&instance, &greedy_solution) {
        bail!("an answer breaks a capacity or uses a bid that does not exist");
    }
    if greedy_solution.total > optimum.total {
        bail!("greedy beat the optimum: the solver is wrong");
    }
    if let Some(path) = &args.export {
        export(path, &instance, optimum.total, greedy_solution.total)?;
    }
    let gap = optimum.total - greedy_solution.total;
    Ok(AssignmentReport {
        requirements: instance.requirements(),
        vendors: instance.capacities().len(),
        bids: instance.bid_count(),
        total_capacity: instance.capacities().iter().map(|&c| u64::from(c)).sum(),
        seed: args.seed,
        runs: args.runs,
        solve_seconds_median: median(solve_times.clone()),
        solve_seconds_min: solve_times.iter().copied().fold(f64::INFINITY, f64::min),
        solve_seconds_max: solve_times.iter().copied().fold(0.0, f64::max),
        greedy_seconds_median: median(greedy_times),
        optimum: optimum.total as f64 / SCALE as f64,
        optimum_micros: optimum.total,
        greedy_total: greedy_solution.total as f64 / SCALE as f64,
        greedy_total_micros: greedy_solution.total,
        gap: gap as f64 / SCALE as f64,
        gap_percent: if optimum.total > 0 {
            gap as f64 / optimum.total as f64 * 100.0
        } else {
            0.0
        },
        assigned: optimum.choice.iter().flatten().count(),
        greedy_assigned: greedy_solution.choice.iter().flatten().count(),
    })
}

#[derive(Serialize)]
struct Exported<'a> {
    capacities: &'a [u32],
    bids: Vec<[i64; 3]>,
    optimum_micros: i64,
    greedy_total_micros: i64,
}

fn export(path: &Path, instance: &Instance, optimum: i64, greedy: i64) -> anyhow::Result<()> {
    let mut bids = Vec::with_capacity(instance.bid_count());
    for r in 0..instance.requirements() {
        for &(v, w) in instance.bids_of(r) {
            bids.push([r as i64, i64::from(v), w]);
        }
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(
        &mut out,
        &Exported {
            capacities: instance.capacities(),
            bids,
            optimum_micros: optimum,
            greedy_total_micros: greedy,
        },
    )?;
    out.flush()?;
    Ok(())
}
