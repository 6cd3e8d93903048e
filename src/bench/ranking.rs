//! `agora bench ranking`: the latency of ranking one requirement's bids
//! (default 200) with real embeddings — cold (every text embedded by the
//! model workers) and warm (every embedding from the cache) — on a model
//! pool like the server's. Needs the models (`ops/models/install`).
//!
//! The texts are made from a fixed list of phrases, half Chinese and half
//! English, so every bid's text is distinct and the run is repeatable.

use std::time::{Duration, Instant};

use agora_actors::matching::MatchingSettings;
use agora_actors::matching::ranking::{BidInput, RequirementInput, rank_bids};
use agora_actors::matching::score::{BidSignals, RequirementSignals, VendorSignals};
use agora_actors::matching::semantic::{DEFAULT_KIND, SemanticFit};
use agora_actors::models::pool::{ModelPool, PoolSettings};
use agora_actors::models::{EmbeddingModel, ModelSet, ModelsDir};
use agora_events::domain::money::Money;
use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::Report;

/// `agora bench ranking`.
#[derive(Clone, Debug, Args)]
pub(crate) struct RankingArgs {
    /// Bids on the requirement.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) bids: u64,
    /// Model worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub(crate) workers: usize,
    /// Cold rankings timed (each with an empty cache and fresh texts).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) cold_runs: u64,
    /// Warm rankings timed (every embedding cached).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) warm_runs: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What the bench measured.
#[derive(Debug, Serialize)]
pub(crate) struct RankingReport {
    bids: u64,
    workers: usize,
    model: &'static str,
    cold_ms_median: f64,
    cold_ms_max: f64,
    warm_ms_median: f64,
    warm_ms_max: f64,
    embeddings_per_second_cold: f64,
}

impl Report for RankingReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "ranking",
                format!(
                    "{} bids, {} ({} workers)",
                    self.bids, self.model, self.workers
                ),
            ),
            (
                "cold",
                format!(
                    "median {:.1} ms (max {:.1}); {:.0} embeddings/s",
                    self.cold_ms_median, self.cold_ms_max, self.embeddings_per_second_cold
                ),
            ),
            (
                "warm (cached)",
                format!(
                    "median {:.3} ms (max {:.3})",
                    self.warm_ms_median, self.warm_ms_max
                ),
            ),
        ]
    }
}

const ZH: &[&str] = &[
    "我们团队有五年微信小程序开发经验",
    "做过多个电商商城项目，熟悉微信支付和订单系统",
    "擅长后端高并发架构与数据库优化",
    "提供完整的测试与上线运维支持",
    "可以按里程碑交付并每周汇报进度",
    "团队成员来自一线互联网公司",
];

const EN: &[&str] = &[
    "We build WeChat mini program shops with cart and payments",
    "Our team of eight engineers ships Rust and Go back ends",
    "We have delivered PostgreSQL migrations for retail clients",
    "Weekly demos, milestone invoices and a fixed price",
    "Experienced in React front ends and mobile apps",
    "We provide testing, deployment and a year of support",
];

fn cny(amount_cents: u64) -> Money {
    Money {
        amount_cents,
        currency: "CNY".into(),
    }
}

/// Bid `i` of round `round`: distinct text per (round, i).
fn bid(round: u64, i: u64) -> BidInput {
    let pick = |list: &[&str], k: u64| list[(k % list.len() as u64) as usize].to_owned();
    let proposal = if i.is_multiple_of(2) {
        format!("{}，{}。编号 {round}-{i}", pick(ZH, i), pick(ZH, i / 3 + 1))
    } else {
        format!("{}. {}. Ref {round}-{i}", pick(EN, i), pick(EN, i / 3 + 1))
    };
    BidInput {
        vendor_id: format!("v-{i}"),
        proposal,
        vendor_profile: pick(EN, i / 2 + 2),
        vendor: VendorSignals {
            skills: vec!["微信小程序".into(), "rust".into()],
            capacity: 1 + (i % 5) as u32,
            open_contracts: (i % 3) as u32,
            review_count: (i * 7 % 60) as u32,
            review_mean: 3.0 + (i % 20) as f64 / 10.0,
        },
        bid: BidSignals {
            price: cny(1_000_000 + i * 10_000),
            delivery_days: 10 + (i % 40) as u32,
        },
    }
}

fn requirement() -> RequirementInput {
    RequirementInput {
        title: "开发微信小程序商城".into(),
        description: "需要一个微信小程序电商商城，包含商品展示、购物车、微信支付和订单管理".into(),
        signals: RequirementSignals {
            skills: vec!["微信小程序".into(), "微信支付".into(), "Rust".into()],
            budget_min: cny(1_000_000),
            budget_max: cny(3_000_000),
            deadline_days: 45,
        },
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Loads the embedding model, starts the pool and times the rankings.
pub(crate) fn run(args: &RankingArgs) -> anyhow::Result<RankingReport> {
    let dir = ModelsDir::from_env();
    if !dir.is_installed() {
        bail!(
            "no models in {} (run ops/models/install or set AGORA_MODELS_DIR)",
            dir.path().display()
        );
    }
    let model = EmbeddingModel::load(&dir, DEFAULT_KIND).context("loading the embedding model")?;
    let set = ModelSet {
        minilm: Some(std::sync::Arc::new(model)),
        ..ModelSet::default()
    };
    let defaults = PoolSettings::default();
    let workers = if args.workers == 0 {
        defaults.workers
    } else {
        args.workers
    };
    let pool = ModelPool::start(
        set,
        PoolSettings {
            workers,
            ..defaults
        },
    )
    .context("starting the model pool")?;
    let settings = MatchingSettings::default();
    let requirement = requirement();
    let deadline = || Instant::now() + Duration::from_secs(600);
    // One untimed ranking warms the workers' tract states.
    let fit = SemanticFit::new(DEFAULT_KIND, 100_000);
    let warmup: Vec<BidInput> = (0..8).map(|i| bid(u64::MAX, i)).collect();
    futures::executor::block_on(rank_bids(
        &settings,
        &fit,
        &pool,
        &requirement,
        &warmup,
        deadline(),
    ))?;
    let mut cold = Vec::new();
    let mut last_bids = Vec::new();
    let mut last_fit = None;
    for round in 0..args.cold_runs {
        let bids: Vec<BidInput> = (0..args.bids).map(|i| bid(round, i)).collect();
        let fit = SemanticFit::new(DEFAULT_KIND, 100_000);
        let started = Instant::now();
        let ranked = futures::executor::block_on(rank_bids(
            &settings,
            &fit,
            &pool,
            &requirement,
            &bids,
            deadline(),
        ))?;
        cold.push(ms(started.elapsed()));
        if ranked.len() != bids.len() {
            bail!("ranked {} of {} bids", ranked.len(), bids.len());
        }
        last_bids = bids;
        last_fit = Some(fit);
    }
    let Some(fit) = last_fit else {
        bail!("no cold run");
    };
    let misses_before = fit.counts().misses;
    let mut warm = Vec::new();
    for _ in 0..args.warm_runs {
        let started = Instant::now();
        futures::executor::block_on(rank_bids(
            &settings,
            &fit,
            &pool,
            &requirement,
            &last_bids,
            deadline(),
        ))?;
        warm.push(ms(started.elapsed()));
    }
    if fit.counts().misses != misses_before {
        bail!("a warm ranking embedded a text again");
    }
    let cold_median = median(cold.clone());
    Ok(RankingReport {
        bids: args.bids,
        workers,
        model: DEFAULT_KIND.model_name(),
        cold_ms_median: cold_median,
        cold_ms_max: cold.iter().copied().fold(0.0, f64::max),
        warm_ms_median: median(warm.clone()),
        warm_ms_max: warm.iter().copied().fold(0.0, f64::max),
        embeddings_per_second_cold: if cold_median > 0.0 {
            (args.bids + 1) as f64 / (cold_median / 1000.0)
        } else {
            0.0
        },
    })
}
