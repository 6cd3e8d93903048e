//! Stories of the Content aggregate: given these events, when this command
//! (sent by this caller), then these events or this error.

mod comments;
mod engagement;
mod happy_path;
mod hidden_drafts;
mod lifecycle;
mod listings;
mod purchases;
mod verification;

use agora_events::Timestamp;
use agora_events::domain::content::{
    Body, Chapter, ContentDrafted, ContentEvent, ContentKind, ContentPublished, ContentPurchased,
    Money, PriceSet, PurchaseRefunded,
};

use agora_events::domain::revenue::{Account, RevenueShare};

use super::{Content, ContentCommand, ContentError, MICROS_PER_DAY, PartnerRate};
use crate::aggregate::testing::Story;
use crate::aggregate::{Aggregate, CommandContext};

/// The content's creator.
const CREATOR: &str = "creator-1";
/// A learner who buys.
const BUYER: &str = "learner-1";
/// A learner who owns nothing.
const STRANGER: &str = "learner-2";
/// The stories' default time: 2023-11-14 22:13:20 UTC, in day [`DAY0`].
const T0: Timestamp = Timestamp(1_700_000_000_000_000);
/// One day, in microseconds.
const DAY: i64 = MICROS_PER_DAY;
/// The check-in day of [`T0`].
const DAY0: u32 = (1_700_000_000_000_000 / MICROS_PER_DAY) as u32;

/// A command together with its caller. [`Story`] always decides with
/// `ctx.actor_id = None`, so these stories wrap [`Content`] in [`Acting`],
/// which takes the caller from the command.
#[derive(Clone, Debug)]
struct By {
    actor: Option<String>,
    command: ContentCommand,
}

/// [`Content`], deciding with the caller named in a [`By`].
#[derive(Clone, Debug, Default)]
struct Acting(Content);

impl Aggregate for Acting {
    type Command = By;
    type Event = ContentEvent;
    type Error = ContentError;
    const CATEGORY: &'static str = Content::CATEGORY;

    fn handle(&self, by: &By, ctx: &CommandContext) -> Result<Vec<ContentEvent>, ContentError> {
        let ctx = CommandContext {
            actor_id: by.actor.clone(),
            ..ctx.clone()
        };
        self.0.handle(&by.command, &ctx)
    }

    fn apply(&mut self, event: &ContentEvent) {
        self.0.apply(event);
    }
}

/// `command`, sent by `actor`.
fn by(actor: &str, command: ContentCommand) -> By {
    By {
        actor: Some(actor.to_owned()),
        command,
    }
}

/// `command`, sent by nobody known.
fn anonymous(command: ContentCommand) -> By {
    By {
        actor: None,
        command,
    }
}

/// A story about content item `c1` at [`T0`].
fn story() -> Story<Acting> {
    Story::new("c1").at(T0)
}

fn cny(amount_cents: u64) -> Money {
    Money {
        amount_cents,
        currency: "CNY".into(),
    }
}

fn course_body() -> Body {
    Body::Chapters(vec![
        Chapter {
            title: "Day 1".into(),
            body: "Ownership".into(),
        },
        Chapter {
            title: "Day 2".into(),
            body: "Borrowing".into(),
        },
    ])
}

/// The creator drafted a course.
fn drafted() -> ContentEvent {
    drafted_as(ContentKind::Course, course_body())
}

/// The creator drafted an item of `kind` with `body`.
fn drafted_as(kind: ContentKind, body: Body) -> ContentEvent {
    ContentEvent::Drafted(ContentDrafted {
        content_id: "c1".into(),
        creator_id: CREATOR.into(),
        kind,
        title: "Rust in 30 days".into(),
        summary: "From zero to actors".into(),
        body,
        tags: vec!["rust".into()],
        language: "en".into(),
        drafted_at: T0,
    })
}

fn priced(amount_cents: u64) -> ContentEvent {
    ContentEvent::PriceSet(PriceSet {
        price: cny(amount_cents),
        set_at: T0,
    })
}

fn published() -> ContentEvent {
    ContentEvent::Published(ContentPublished { published_at: T0 })
}

fn purchased(buyer_id: &str, purchase_id: &str, at: Timestamp) -> ContentEvent {
    ContentEvent::Purchased(ContentPurchased {
        buyer_id: buyer_id.into(),
        price: cny(9_900),
        purchase_id: purchase_id.into(),
        purchased_at: at,
        partner_id: None,
        shares: vec![RevenueShare {
            account: Account::Creator(CREATOR.into()),
            amount_cents: 9_900,
        }],
    })
}

fn refunded(buyer_id: &str, purchase_id: &str) -> ContentEvent {
    ContentEvent::PurchaseRefunded(PurchaseRefunded {
        purchase_id: purchase_id.into(),
        buyer_id: buyer_id.into(),
        refunded_at: T0,
    })
}

/// A published course at 99.00 CNY.
fn on_sale() -> Vec<ContentEvent> {
    vec![drafted(), priced(9_900), published()]
}

/// [`on_sale`], and `buyer` bought it (purchase `p1`, at [`T0`]).
fn owned_by(buyer: &str) -> Vec<ContentEvent> {
    let mut events = on_sale();
    events.push(purchased(buyer, "p1", T0));
    events
}
