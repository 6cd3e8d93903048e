//! Demo data for `agora serve --demo`: a few users, one per kind of
//! participant, and a published course and article by the demo creator,
//! all through the normal command path with fixed ids and idempotency keys,
//! so seeding twice changes nothing.

use agora_actors::aggregate::CommandError;
use agora_actors::content::{ContentServiceError, NewContent, Request};
use agora_actors::ids::idempotency_id;
use agora_actors::user::{Registration, UserError, UserServiceError};
use agora_events::EventMetadata;
use agora_events::domain::content::{Body, Chapter, ContentKind, Money};
use agora_events::domain::user::{PersonalDetails, Role};

use crate::domain::Domain;

/// The password of every demo user.
pub(crate) const DEMO_PASSWORD: &str = "demo-password";

/// `(id, display name, role)` of each demo user.
const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("demo-learner", "Lin the Learner", Role::Learner),
    ("demo-creator", "Cai the Creator", Role::Creator),
    ("demo-vendor", "Vee the Vendor", Role::Vendor),
    ("demo-client", "Cleo the Client", Role::Client),
];

/// Registers the demo users that are missing.
pub(crate) async fn seed(domain: &Domain) -> anyhow::Result<()> {
    let mut created = 0;
    for (id, name, role) in DEMO_USERS {
        let registration = Registration {
            id: Some((*id).to_owned()),
            display_name: (*name).to_owned(),
            roles: vec![*role],
            personal: PersonalDetails {
                email: format!("{id}@demo.agora.example"),
                real_name: None,
                phone: None,
            },
            password: Some(DEMO_PASSWORD.to_owned()),
        };
        let metadata = EventMetadata {
            actor_id: Some("agora-demo".into()),
            ..EventMetadata::default()
        };
        match domain.users.register(registration, None, metadata).await {
            Ok(_) => created += 1,
            Err(UserServiceError::Command(CommandError::Domain(UserError::AlreadyRegistered))) => {}
            Err(e) => return Err(anyhow::anyhow!("seeding demo user {id}: {e}")),
        }
    }
    tracing::info!(
        created,
        password = DEMO_PASSWORD,
        "demo users ready: demo-learner, demo-creator, demo-vendor, demo-client"
    );
    seed_content(domain).await
}

/// The demo creator's published items.
async fn seed_content(domain: &Domain) -> anyhow::Result<()> {
    let items = [
        NewContent {
            id: Some("demo-rust-course".into()),
            kind: ContentKind::Course,
            title: "Event sourcing in Rust, day by day".into(),
            summary: "Seven days from an append-only log to projections.".into(),
            body: Body::Chapters(
                (1..=7)
                    .map(|day| Chapter {
                        title: format!("Day {day}"),
                        body: format!("What to build on day {day}."),
                    })
                    .collect(),
            ),
            tags: vec!["rust".into(), "event-sourcing".into()],
            language: "en".into(),
        },
        NewContent {
            id: Some("demo-outsourcing-article".into()),
            kind: ContentKind::Article,
            title: "如何写一份好的外包需求".into(),
            summary: "技术外包需求文档的要点。".into(),
            body: Body::Text("范围、预算、里程碑和验收标准。".into()),
            tags: vec!["outsourcing".into()],
            language: "zh-CN".into(),
        },
    ];
    let contents = &domain.contents;
    for (n, item) in items.into_iter().enumerate() {
        let id = item.id.clone().unwrap_or_default();
        // A fixed key per step: a second seeding answers the first outcome.
        let step = |name: &str| Request {
            idempotency_key: Some(idempotency_id("demo", &format!("{id}:{name}"))),
            ..Request::by("demo-creator")
        };
        let price = Money {
            amount_cents: if n == 0 { 4_900 } else { 0 },
            currency: "CNY".into(),
        };
        let seeded = async {
            contents.draft(item, &step("draft")).await?;
            contents.set_price(&id, price, &step("price")).await?;
            contents.publish(&id, None, &step("publish")).await?;
            Ok::<_, ContentServiceError>(())
        };
        seeded
            .await
            .map_err(|e| anyhow::anyhow!("seeding demo content {id}: {e}"))?;
    }
    tracing::info!("demo content ready: demo-rust-course, demo-outsourcing-article");
    Ok(())
}
