//! The outsourcing part of `agora seed`: clients, vendors with profiles,
//! requirements (public, invited-only and sealed) and bids, made through
//! the same services the HTTP handlers call.
//!
//! [`plan`] decides everything from the seed alone (pure); [`run`]
//! carries it out after the knowledge side's days, on the seed's manual
//! clock. Every command carries an idempotency key derived from the seed,
//! so running the same seed again replays instead of writing. Awards and
//! contracts are later stages, not made here.

use agora_actors::content::Request;
use agora_actors::ids::idempotency_id;
use agora_actors::requirement::{NewBid, NewRequirement, NewTerms};
use agora_actors::vendor::VendorProfile;
use agora_events::domain::money::Money;
use agora_events::domain::requirement::{Budget, Milestone, Visibility};
use agora_events::domain::user::Role;
use uuid::Uuid;

use super::plan::PlannedUser;
use crate::sample::Rng;

/// Scope of the idempotency keys of seeded outsourcing commands.
const KEY_SCOPE: &str = "agora seed outsourcing";
/// The demo client and vendor (made by `demo::seed`) take part too.
const DEMO_CLIENT: &str = "demo-client";
/// See [`DEMO_CLIENT`].
const DEMO_VENDOR: &str = "demo-vendor";
/// Seeded clients besides the demo client.
const CLIENTS: usize = 3;
/// Seeded vendors besides the demo vendor.
const VENDORS: usize = 9;
/// Most bids on one requirement.
const MAX_BIDS: usize = 5;

/// Skills vendors have and requirements ask for.
const SKILLS: &[&str] = &[
    "rust",
    "go",
    "java",
    "python",
    "react",
    "postgres",
    "kubernetes",
    "payments",
    "machine-learning",
    "ios",
    "android",
    "小程序",
];

/// Requirements: title, description, skills, visibility.
const REQUIREMENTS: &[(&str, &str, &[&str], Visibility)] = &[
    (
        "Payment gateway for a retail chain",
        "Integrate WeChat Pay, Alipay and card payments behind one API, with refunds and daily reconciliation.",
        &["payments", "rust", "postgres"],
        Visibility::Public,
    ),
    (
        "微信小程序商城开发",
        "为连锁门店开发微信小程序商城：商品、购物车、会员积分与订单管理，对接现有 ERP。",
        &["小程序", "java"],
        Visibility::Public,
    ),
    (
        "Recommendation engine for an e-learning site",
        "Matrix factorization over purchases and ratings, nightly training, a top-N API under 50 ms.",
        &["machine-learning", "python"],
        Visibility::Sealed,
    ),
    (
        "数据平台迁移到 Kubernetes",
        "将现有 Hadoop 批处理任务迁移到 Kubernetes，保证每日报表按时产出，提供监控与告警。",
        &["kubernetes", "go"],
        Visibility::Invited,
    ),
    (
        "iOS and Android apps for clinic bookings",
        "Native apps for patients to book, reschedule and pay for appointments; push reminders.",
        &["ios", "android", "react"],
        Visibility::Public,
    ),
    (
        "供应链金融风控模型",
        "基于历史交易数据构建授信与预警模型，输出可解释的评分与原因。",
        &["machine-learning", "python", "postgres"],
        Visibility::Sealed,
    ),
];

/// Proposal openings, in English and Chinese.
const PROPOSALS: &[&str] = &[
    "We delivered three systems like this one; references on request.",
    "我们团队有五年相关项目经验，可提供案例演示。",
    "A senior team with a fixed price and weekly demos.",
    "我们将按里程碑交付，每个阶段提供测试报告。",
];

/// A vendor's profile to set.
pub(crate) struct PlannedProfile {
    /// The vendor's user id.
    pub(crate) vendor: String,
    /// The profile.
    pub(crate) profile: VendorProfile,
    /// The command's idempotency key.
    pub(crate) key: Uuid,
}

/// A requirement to post.
pub(crate) struct PlannedRequirement {
    /// The client's user id.
    pub(crate) client: String,
    /// Its id and terms.
    pub(crate) new: NewRequirement,
    /// The command's idempotency key.
    pub(crate) key: Uuid,
}

/// A bid to place.
pub(crate) struct PlannedBid {
    /// The requirement's id.
    pub(crate) requirement: String,
    /// The vendor's user id.
    pub(crate) vendor: String,
    /// The bid.
    pub(crate) bid: NewBid,
    /// The command's idempotency key.
    pub(crate) key: Uuid,
}

/// Everything the outsourcing part of the seed does.
pub(crate) struct Outsourcing {
    /// Clients and vendors to register (the demo ones exist already).
    pub(crate) users: Vec<PlannedUser>,
    /// Vendor profiles.
    pub(crate) profiles: Vec<PlannedProfile>,
    /// Requirements.
    pub(crate) requirements: Vec<PlannedRequirement>,
    /// Bids, after every requirement is posted.
    pub(crate) bids: Vec<PlannedBid>,
}

/// The outsourcing plan of `seed`: the same seed always gives the same plan.
pub(crate) fn plan(seed: u64) -> Outsourcing {
    let mut rng = Rng::fork(seed, 0x0075_7473_6f75_7263);
    let mut n = 0u64;
    let mut key = || {
        n += 1;
        idempotency_id(KEY_SCOPE, &format!("{seed}:{n}"))
    };
    let mut users = Vec::new();
    let mut clients = vec![DEMO_CLIENT.to_owned()];
    let mut vendors = vec![DEMO_VENDOR.to_owned()];
    for i in 1..=CLIENTS {
        let id = format!("seed-client-{i}");
        users.push(PlannedUser {
            display_name: format!("Client {i}"),
            id: id.clone(),
            role: Role::Client,
            password: true,
            key: key(),
        });
        clients.push(id);
    }
    for i in 1..=VENDORS {
        let id = format!("seed-vendor-{i}");
        users.push(PlannedUser {
            display_name: format!("Vendor team {i}"),
            id: id.clone(),
            role: Role::Vendor,
            password: true,
            key: key(),
        });
        vendors.push(id);
    }
    let profiles = vendors
        .iter()
        .map(|vendor| {
            let skills: Vec<String> = (0..3)
                .filter_map(|_| rng.pick(SKILLS).map(|s| (*s).to_owned()))
                .collect();
            let languages = if rng.chance(0.5) {
                vec!["zh".to_owned(), "en".to_owned()]
            } else {
                vec!["zh".to_owned()]
            };
            PlannedProfile {
                vendor: vendor.clone(),
                profile: VendorProfile {
                    skills,
                    team_size: 2 + rng.below(40) as u32,
                    capacity: 1 + rng.below(5) as u32,
                    hourly_rate: Money {
                        amount_cents: 10_000 * (5 + rng.below(30) as u64),
                        currency: "CNY".into(),
                    },
                    portfolio: format!("{vendor}: {}", PROPOSALS[rng.below(PROPOSALS.len())]),
                    languages,
                    content_ids: Vec::new(),
                },
                key: key(),
            }
        })
        .collect();
    let mut requirements = Vec::new();
    let mut bids = Vec::new();
    for (i, (title, description, skills, visibility)) in REQUIREMENTS.iter().enumerate() {
        let id = format!("seed-rq-{}", i + 1);
        let client = clients[i % clients.len()].clone();
        let min_cents = 1_000_000 * (2 + rng.below(20) as u64);
        let max_cents = min_cents * 2;
        let invited: Vec<String> = match visibility {
            Visibility::Invited => vendors.iter().step_by(2).cloned().collect(),
            Visibility::Public | Visibility::Sealed => Vec::new(),
        };
        let eligible: Vec<&String> = match visibility {
            Visibility::Invited => invited.iter().collect(),
            Visibility::Public | Visibility::Sealed => vendors.iter().collect(),
        };
        requirements.push(PlannedRequirement {
            client,
            new: NewRequirement {
                id: Some(id.clone()),
                terms: NewTerms {
                    title: (*title).to_owned(),
                    description: (*description).to_owned(),
                    skills: skills.iter().map(|s| (*s).to_owned()).collect(),
                    budget: Budget {
                        min_cents,
                        max_cents,
                        currency: "CNY".into(),
                    },
                    deadline_days: 30 + 10 * rng.below(9) as u32,
                    bidding_days: 14 + rng.below(14) as u32,
                    visibility: *visibility,
                    invited: invited.clone(),
                },
            },
            key: key(),
        });
        let count = 2 + rng.below(MAX_BIDS - 1);
        let start = rng.below(eligible.len());
        for j in 0..count.min(eligible.len()) {
            let vendor = eligible[(start + j) % eligible.len()].clone();
            let price = min_cents + (max_cents - min_cents) / 4 * rng.below(5) as u64;
            let delivery_days = 20 + 5 * rng.below(8) as u32;
            let first = price / 3;
            bids.push(PlannedBid {
                requirement: id.clone(),
                vendor,
                bid: NewBid {
                    price: Money {
                        amount_cents: price,
                        currency: "CNY".into(),
                    },
                    delivery_days,
                    proposal: PROPOSALS[rng.below(PROPOSALS.len())].to_owned(),
                    milestones: vec![
                        Milestone {
                            title: "Design and plan".into(),
                            amount_cents: first,
                            due_day: delivery_days / 3,
                        },
                        Milestone {
                            title: "Delivery and acceptance".into(),
                            amount_cents: price - first,
                            due_day: delivery_days,
                        },
                    ],
                },
                key: key(),
            });
        }
    }
    Outsourcing {
        users,
        profiles,
        requirements,
        bids,
    }
}

/// A keyed request by `user`.
pub(crate) fn request(user: &str, key: Uuid) -> Request {
    Request {
        idempotency_key: Some(key),
        ..Request::by(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_follows_the_seed_and_every_bid_is_valid() {
        let a = plan(42);
        let b = plan(42);
        let keys = |o: &Outsourcing| -> Vec<Uuid> { o.bids.iter().map(|b| b.key).collect() };
        assert_eq!(keys(&a), keys(&b));
        assert_ne!(keys(&a), keys(&plan(7)));
        assert_eq!(a.requirements.len(), REQUIREMENTS.len());
        assert!(a.bids.len() >= 2 * REQUIREMENTS.len());
        for bid in &a.bids {
            let sum: u64 = bid.bid.milestones.iter().map(|m| m.amount_cents).sum();
            assert_eq!(sum, bid.bid.price.amount_cents);
            assert!(bid.bid.milestones.iter().all(|m| m.due_day >= 1));
            let requirement = a
                .requirements
                .iter()
                .find(|r| r.new.id.as_deref() == Some(bid.requirement.as_str()))
                .expect("the bid's requirement");
            assert_ne!(requirement.client, bid.vendor);
            if requirement.new.terms.visibility == Visibility::Invited {
                assert!(requirement.new.terms.invited.contains(&bid.vendor));
            }
        }
        let visibilities: Vec<Visibility> = a
            .requirements
            .iter()
            .map(|r| r.new.terms.visibility)
            .collect();
        for v in [Visibility::Public, Visibility::Invited, Visibility::Sealed] {
            assert!(visibilities.contains(&v));
        }
    }
}
