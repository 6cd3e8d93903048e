//! Bid ranking on the REAL embedding model installed by
//! `ops/models/install` (`AGORA_MODELS_DIR`, default
//! `~/.cache/agora/models`). Without the models each test says so and
//! returns — except in CI (env `CI` set), where that is a failure.
//!
//! Run: `cargo test -p agora-actors --test matching`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_actors::matching::MatchingSettings;
use agora_actors::matching::ranking::{
    BidInput, RequirementInput, VendorInput, rank_bids, suggest_vendors,
};
use agora_actors::matching::score::{BidSignals, RequirementSignals, ScorePartKind, VendorSignals};
use agora_actors::matching::semantic::{DEFAULT_KIND, SemanticFit, bid_text, requirement_text};
use agora_actors::models::pool::{ModelPool, PoolSettings};
use agora_actors::models::testing::installed_or_skip;
use agora_actors::models::{EmbeddingModel, ModelSet};
use agora_events::domain::money::Money;

fn pool() -> Option<ModelPool> {
    let dir = installed_or_skip()?;
    let model = EmbeddingModel::load(&dir, DEFAULT_KIND).expect("embedding model loads");
    let set = ModelSet {
        minilm: Some(Arc::new(model)),
        ..ModelSet::default()
    };
    Some(
        ModelPool::start(
            set,
            PoolSettings {
                workers: 2,
                ..PoolSettings::default()
            },
        )
        .expect("pool starts"),
    )
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(300)
}

fn cny(amount_cents: u64) -> Money {
    Money {
        amount_cents,
        currency: "CNY".into(),
    }
}

const TITLE: &str = "开发微信小程序商城";
const DESCRIPTION: &str = "需要一个微信小程序电商商城，包含商品展示、购物车、微信支付和订单管理";

const ZH_RELEVANT: &str =
    "我们团队有五年微信小程序开发经验，做过多个电商商城项目，熟悉微信支付和订单系统";
const ZH_UNRELATED: &str = "我们专注于工业机器人控制算法和嵌入式固件，擅长电机驱动与传感器标定";
const EN_RELEVANT: &str =
    "We build WeChat mini program e-commerce shops with cart, WeChat Pay and order management";
const EN_UNRELATED: &str =
    "We specialise in industrial robot control firmware and motor driver calibration";

fn requirement() -> RequirementInput {
    RequirementInput {
        title: TITLE.into(),
        description: DESCRIPTION.into(),
        signals: RequirementSignals {
            skills: vec!["微信小程序".into(), "微信支付".into()],
            budget_min: cny(1_000_000),
            budget_max: cny(3_000_000),
            deadline_days: 45,
        },
    }
}

/// Vendors alike in everything but their proposal.
fn bid(vendor_id: &str, proposal: &str) -> BidInput {
    BidInput {
        vendor_id: vendor_id.into(),
        proposal: proposal.into(),
        vendor_profile: String::new(),
        vendor: VendorSignals {
            skills: vec!["微信小程序".into()],
            capacity: 3,
            open_contracts: 1,
            review_count: 10,
            review_mean: 4.5,
        },
        bid: BidSignals {
            price: cny(2_000_000),
            delivery_days: 30,
        },
    }
}

#[test]
fn a_chinese_requirement_ranks_relevant_chinese_and_english_proposals_above_unrelated_ones() {
    let Some(pool) = pool() else { return };
    // Given a Chinese requirement and four bids alike but for the proposal
    let bids = [
        bid("zh-unrelated", ZH_UNRELATED),
        bid("en-unrelated", EN_UNRELATED),
        bid("zh-relevant", ZH_RELEVANT),
        bid("en-relevant", EN_RELEVANT),
    ];
    let fit = SemanticFit::new(DEFAULT_KIND, 100);
    // When they are ranked with real embeddings
    let ranked = futures::executor::block_on(rank_bids(
        &MatchingSettings::default(),
        &fit,
        &pool,
        &requirement(),
        &bids,
        deadline(),
    ))
    .expect("ranks");
    let score_of = |id: &str| {
        ranked
            .iter()
            .find(|r| r.vendor_id == id)
            .expect("ranked")
            .score
            .clone()
    };
    let semantic = |id: &str| {
        score_of(id)
            .parts
            .iter()
            .find(|p| p.part == ScorePartKind::Semantic)
            .expect("semantic part")
            .value
    };
    // Then each relevant proposal scores above the unrelated one in its
    // language, and the Chinese relevant one ranks first
    assert!(
        semantic("zh-relevant") > semantic("zh-unrelated"),
        "{ranked:#?}"
    );
    assert!(
        semantic("en-relevant") > semantic("en-unrelated"),
        "{ranked:#?}"
    );
    assert!(score_of("zh-relevant").score > score_of("zh-unrelated").score);
    assert!(score_of("en-relevant").score > score_of("en-unrelated").score);
    assert_eq!(ranked[0].vendor_id, "zh-relevant");
    // And the order is by score
    assert!(
        ranked
            .windows(2)
            .all(|w| w[0].score.score >= w[1].score.score)
    );
}

#[test]
fn a_second_ranking_takes_every_embedding_from_the_cache_and_agrees() {
    let Some(pool) = pool() else { return };
    let bids = [
        bid("a", ZH_RELEVANT),
        bid("b", EN_UNRELATED),
        bid("c", ZH_RELEVANT),
    ];
    let fit = SemanticFit::new(DEFAULT_KIND, 100);
    let settings = MatchingSettings::default();
    let rank = || {
        futures::executor::block_on(rank_bids(
            &settings,
            &fit,
            &pool,
            &requirement(),
            &bids,
            deadline(),
        ))
        .expect("ranks")
    };
    // The requirement and two distinct bid texts (a and c are equal)
    let first = rank();
    assert_eq!(fit.counts().misses, 3);
    let second = rank();
    assert_eq!(fit.counts().misses, 3, "nothing embedded again");
    assert_eq!(first, second);
    // The cosine equals one computed directly
    let direct = futures::executor::block_on(fit.cosines(
        &pool,
        &requirement_text(TITLE, DESCRIPTION),
        &[bid_text(ZH_RELEVANT, "")],
        deadline(),
    ))
    .expect("cosine");
    let a = first.iter().find(|r| r.vendor_id == "a").expect("a");
    let part = a
        .score
        .parts
        .iter()
        .find(|p| p.part == ScorePartKind::Semantic)
        .expect("semantic");
    assert!((part.value - direct[0].clamp(0.0, 1.0)).abs() < 1e-12);
}

#[test]
fn suggestions_put_the_vendor_whose_profile_fits_first() {
    let Some(pool) = pool() else { return };
    let vendor = |id: &str, profile: &str| VendorInput {
        vendor_id: id.into(),
        profile: profile.into(),
        vendor: VendorSignals {
            skills: vec!["微信小程序".into()],
            capacity: 2,
            open_contracts: 0,
            review_count: 0,
            review_mean: 0.0,
        },
    };
    let vendors = [
        vendor("robots", ZH_UNRELATED),
        vendor("shops", ZH_RELEVANT),
        vendor("firmware", EN_UNRELATED),
    ];
    let fit = SemanticFit::new(DEFAULT_KIND, 100);
    let top = futures::executor::block_on(suggest_vendors(
        &MatchingSettings::default(),
        &fit,
        &pool,
        &requirement(),
        &vendors,
        2,
        deadline(),
    ))
    .expect("suggests");
    assert_eq!(top.len(), 2);
    assert_eq!(top[0].vendor_id, "shops");
    assert!(
        top[0]
            .score
            .parts
            .iter()
            .all(|p| p.part != ScorePartKind::Price && p.part != ScorePartKind::Delivery)
    );
}
