//! Each learner's library: the items they own (bought and not refunded),
//! their check-in progress on each course with streaks, and the ratings
//! they gave — folded from the Content events.
//!
//! Streaks are derived when asked, from the check-in days and "today"
//! (the caller's clock), so the stored state never depends on when it is
//! read: a day counts once however many courses were checked in on it; a
//! streak is current while its last day is today or yesterday (today's
//! check-in may still come).

use std::collections::{BTreeMap, BTreeSet};

use agora_events::Timestamp;
use agora_events::domain::content::{ContentKind, LazyContentEvent, Money};
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};

/// What the library shows of a content item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentCard {
    /// The title.
    pub title: String,
    /// Article, course or column.
    pub kind: ContentKind,
    /// Who made it.
    pub creator_id: String,
}

/// A live purchase: the user owns the item through it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// The purchase.
    pub purchase_id: String,
    /// What was paid.
    pub price: Money,
    /// When.
    pub purchased_at: Timestamp,
}

/// A rating the user gave (their latest on that item).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenRating {
    /// 1 to 5.
    pub stars: u8,
    /// When it was given.
    pub rated_at: Timestamp,
}

/// One user's library.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLibrary {
    /// Owned items by content id.
    pub owned: BTreeMap<String, Ownership>,
    /// Check-in days (days since the epoch, UTC) by course id.
    pub check_ins: BTreeMap<String, BTreeSet<u32>>,
    /// Ratings given by content id.
    pub ratings: BTreeMap<String, GivenRating>,
}

/// Consecutive check-in days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streaks {
    /// Days in the run ending today or yesterday (0 when broken).
    pub current: u32,
    /// Days in the longest run ever.
    pub longest: u32,
    /// The last day checked in, if any.
    pub last_day: Option<u32>,
}

impl Streaks {
    /// The streaks of `days` as seen on day `today`.
    pub fn of(days: &BTreeSet<u32>, today: u32) -> Self {
        let mut longest = 0;
        let mut run = 0;
        let mut previous: Option<u32> = None;
        for &day in days {
            run = match previous {
                Some(p) if p.checked_add(1) == Some(day) => run + 1,
                _ => 1,
            };
            longest = longest.max(run);
            previous = Some(day);
        }
        let current = match previous {
            Some(last) if last.saturating_add(1) >= today => run,
            _ => 0,
        };
        Self {
            current,
            longest,
            last_day: previous,
        }
    }
}

/// Every user's library and the cards of every item.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LibraryView {
    cards: BTreeMap<String, ContentCard>,
    users: BTreeMap<String, UserLibrary>,
}

impl LibraryView {
    /// The library of `user_id` (empty if they never bought, rated or
    /// checked in).
    pub fn user(&self, user_id: &str) -> Option<&UserLibrary> {
        self.users.get(user_id)
    }

    /// What the library shows of item `content_id`.
    pub fn card(&self, content_id: &str) -> Option<&ContentCard> {
        self.cards.get(content_id)
    }

    /// Whether `user_id` holds a live purchase of `content_id`.
    pub fn owns(&self, user_id: &str, content_id: &str) -> bool {
        self.users
            .get(user_id)
            .is_some_and(|u| u.owned.contains_key(content_id))
    }

    fn user_mut(&mut self, user_id: &str) -> &mut UserLibrary {
        self.users.entry(user_id.to_owned()).or_default()
    }
}

impl UserLibrary {
    /// Streaks over every course together: a day counts if any course was
    /// checked in on it.
    pub fn streaks(&self, today: u32) -> Streaks {
        let days: BTreeSet<u32> = self.check_ins.values().flatten().copied().collect();
        Streaks::of(&days, today)
    }
}

impl Projection for LibraryView {
    const NAME: &'static str = "library";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let Some((id, content)) = event.content() else {
            return Ok(());
        };
        match content {
            LazyContentEvent::Drafted(e) => {
                let e = e.get()?;
                let card = ContentCard {
                    title: e.title.clone(),
                    kind: e.kind,
                    creator_id: e.creator_id.clone(),
                };
                self.cards.insert(id.to_owned(), card);
            }
            LazyContentEvent::DraftEdited(e) => {
                let e = e.get()?;
                let card = self
                    .cards
                    .get_mut(id)
                    .ok_or("an edit of content that was never drafted")?;
                if let Some(title) = &e.title {
                    card.title.clone_from(title);
                }
                if let Some(kind) = e.kind {
                    card.kind = kind;
                }
            }
            LazyContentEvent::Purchased(e) => {
                let e = e.get()?;
                let ownership = Ownership {
                    purchase_id: e.purchase_id.clone(),
                    price: e.price.clone(),
                    purchased_at: e.purchased_at,
                };
                self.user_mut(&e.buyer_id)
                    .owned
                    .insert(id.to_owned(), ownership);
            }
            LazyContentEvent::PurchaseRefunded(e) => {
                let e = e.get()?;
                let user = self.user_mut(&e.buyer_id);
                if user
                    .owned
                    .get(id)
                    .is_some_and(|o| o.purchase_id == e.purchase_id)
                {
                    user.owned.remove(id);
                }
            }
            LazyContentEvent::Rated(e) => {
                let e = e.get()?;
                let rating = GivenRating {
                    stars: e.stars,
                    rated_at: e.rated_at,
                };
                self.user_mut(&e.user_id)
                    .ratings
                    .insert(id.to_owned(), rating);
            }
            LazyContentEvent::CheckedIn(e) => {
                let e = e.get()?;
                self.user_mut(&e.user_id)
                    .check_ins
                    .entry(id.to_owned())
                    .or_default()
                    .insert(e.day);
            }
            LazyContentEvent::PriceSet(_)
            | LazyContentEvent::Published(_)
            | LazyContentEvent::Unpublished(_)
            | LazyContentEvent::Retired(_)
            | LazyContentEvent::ReviewWritten(_)
            | LazyContentEvent::CommentPosted(_)
            | LazyContentEvent::AnswerMarked(_)
            | LazyContentEvent::ListedByPartner(_)
            | LazyContentEvent::DraftGenerated(_)
            | LazyContentEvent::Verified(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_events::domain::content::{
        Body, CheckedIn, ContentDrafted, ContentEvent, ContentPurchased, ContentRated,
        PurchaseRefunded,
    };

    use super::super::content_stream::testing::Log;
    use super::*;

    fn days(list: &[u32]) -> BTreeSet<u32> {
        list.iter().copied().collect()
    }

    #[test]
    fn streaks_count_consecutive_days_and_break_after_a_missed_day() {
        let d = days(&[1, 2, 3, 7, 8]);
        let on = |today| Streaks::of(&d, today);
        assert_eq!(on(8).current, 2);
        assert_eq!(on(9).current, 2, "yesterday still counts");
        assert_eq!(on(10).current, 0, "a missed day breaks it");
        assert_eq!(on(10).longest, 3);
        assert_eq!(on(10).last_day, Some(8));
        assert_eq!(Streaks::of(&days(&[]), 5), Streaks::default());
    }

    fn drafted(creator: &str, kind: ContentKind) -> ContentEvent {
        ContentEvent::Drafted(ContentDrafted {
            content_id: "c1".into(),
            creator_id: creator.into(),
            kind,
            title: "Course".into(),
            summary: String::new(),
            body: Body::Text("b".into()),
            tags: vec![],
            language: "en".into(),
            drafted_at: Timestamp(0),
        })
    }

    fn bought(purchase: &str) -> ContentEvent {
        ContentEvent::Purchased(ContentPurchased {
            buyer_id: "u2".into(),
            price: Money {
                amount_cents: 500,
                currency: "CNY".into(),
            },
            purchase_id: purchase.into(),
            purchased_at: Timestamp(1),
            partner_id: None,
            shares: Vec::new(),
        })
    }

    #[test]
    fn given_purchases_refunds_ratings_and_check_ins_then_the_library_shows_them() {
        let mut log = Log::default();
        let mut view = LibraryView::default();
        let events = [
            drafted("u1", ContentKind::Course),
            bought("p1"),
            ContentEvent::PurchaseRefunded(PurchaseRefunded {
                purchase_id: "p1".into(),
                buyer_id: "u2".into(),
                refunded_at: Timestamp(2),
            }),
            bought("p2"),
            ContentEvent::Rated(ContentRated {
                user_id: "u2".into(),
                stars: 4,
                rated_at: Timestamp(3),
            }),
            ContentEvent::CheckedIn(CheckedIn {
                user_id: "u2".into(),
                day: 10,
                note: None,
                checked_in_at: Timestamp(4),
            }),
            ContentEvent::CheckedIn(CheckedIn {
                user_id: "u2".into(),
                day: 11,
                note: None,
                checked_in_at: Timestamp(5),
            }),
        ];
        for event in &events {
            view.apply(&log.record("c1", event)).expect("applies");
        }
        assert!(view.owns("u2", "c1"));
        assert!(!view.owns("u1", "c1"));
        let library = view.user("u2").expect("library");
        assert_eq!(library.owned["c1"].purchase_id, "p2");
        assert_eq!(library.ratings["c1"].stars, 4);
        assert_eq!(library.streaks(11).current, 2);
        assert_eq!(view.card("c1").map(|c| c.kind), Some(ContentKind::Course));
        let refund_of_old = ContentEvent::PurchaseRefunded(PurchaseRefunded {
            purchase_id: "p1".into(),
            buyer_id: "u2".into(),
            refunded_at: Timestamp(6),
        });
        view.apply(&log.record("c1", &refund_of_old))
            .expect("applies");
        assert!(
            view.owns("u2", "c1"),
            "an old refund never removes a newer purchase"
        );
    }
}
