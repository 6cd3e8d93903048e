//! Each creator's dashboard: sales, gross revenue, what the creator earned
//! (their shares of the sales), refunds and ratings of
//! their items, per day (UTC days since the epoch), folded from the
//! Content events.
//!
//! Money is kept per currency (an item's price may change currency), in
//! cents, summed in `i128` (see [`super::money`]): no purchase the write
//! side accepted, even one priced above today's ceiling in an old log, can
//! make a sum wrap or stop the dashboard. A sale counts on the day of the
//! purchase, a refund on the day of
//! the refund (with the amount the refunded purchase paid). Ratings count
//! on the day they were given (a changed rating is a new rating that day);
//! the overall average uses each user's current rating of each item.

use std::collections::BTreeMap;

use agora_events::domain::content::{LazyContentEvent, Money};
use agora_events::domain::revenue::Account;
use serde::{Deserialize, Serialize};

use super::money::{self, Sums};
use super::{Projection, SharedEvent};
use crate::content::day_of;

/// What happened on one day (or, summed, over a period).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// Purchases made.
    pub sales: u64,
    /// What they paid, cents by currency.
    pub gross_cents: Sums,
    /// Purchases refunded.
    pub refunds: u64,
    /// What the refunded purchases had paid, cents by currency.
    pub refunded_cents: Sums,
    /// The creator's own shares of the sales (after the platform's fee and
    /// any partner's share, as fixed at each sale), cents by currency.
    pub earned_cents: Sums,
    /// The creator's shares of the refunded purchases, cents by currency.
    pub earned_refunded_cents: Sums,
    /// Ratings given (new or changed).
    pub ratings: u64,
    /// Sum of their stars.
    pub stars: u64,
}

impl DayFigures {
    /// Adds `other` into `self`. Returns `false` if a sum saturated (see
    /// [`money::add`]); counts saturate too.
    pub fn add(&mut self, other: &DayFigures) -> bool {
        self.sales = self.sales.saturating_add(other.sales);
        self.refunds = self.refunds.saturating_add(other.refunds);
        self.ratings = self.ratings.saturating_add(other.ratings);
        self.stars = self.stars.saturating_add(other.stars);
        let gross = money::add_all(&mut self.gross_cents, &other.gross_cents);
        let refunded = money::add_all(&mut self.refunded_cents, &other.refunded_cents);
        let earned = money::add_all(&mut self.earned_cents, &other.earned_cents);
        let earned_refunded = money::add_all(
            &mut self.earned_refunded_cents,
            &other.earned_refunded_cents,
        );
        gross && refunded && earned && earned_refunded
    }

    /// What the creator kept: their shares of sales minus those of
    /// refunds, cents by currency.
    pub fn earned_net_cents(&self) -> Sums {
        difference(&self.earned_cents, &self.earned_refunded_cents)
    }

    /// Gross minus refunded, cents by currency (negative when a period
    /// refunds more than it sells).
    pub fn net_cents(&self) -> Sums {
        difference(&self.gross_cents, &self.refunded_cents)
    }

    /// The average of the ratings given, if any.
    pub fn rating_average(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.stars as f64 / self.ratings as f64)
    }
}

/// `plus` minus `minus`, by currency (saturating: see [`money::add`]).
fn difference(plus: &Sums, minus: &Sums) -> Sums {
    let mut net = plus.clone();
    for (currency, cents) in minus {
        let _ = money::add(&mut net, currency, cents.saturating_neg());
    }
    net
}

/// One creator's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatorFigures {
    /// Figures by day.
    pub days: BTreeMap<u32, DayFigures>,
    /// Sum of the current ratings' stars over all their items.
    pub rating_sum: u64,
    /// Number of current ratings over all their items.
    pub rating_count: u64,
}

impl CreatorFigures {
    /// The days from `from` to `to` (inclusive) that had any activity, and
    /// their sum (a sum beyond `i128` saturates; the fold counted it as an
    /// anomaly already).
    pub fn period(&self, from: u32, to: u32) -> (Vec<(u32, &DayFigures)>, DayFigures) {
        let mut total = DayFigures::default();
        let days: Vec<(u32, &DayFigures)> = self
            .days
            .range(from..=to)
            .map(|(day, figures)| (*day, figures))
            .collect();
        for (_, figures) in &days {
            let _ = total.add(figures);
        }
        (days, total)
    }

    /// The average of the current ratings of all their items.
    pub fn rating_average(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| self.rating_sum as f64 / self.rating_count as f64)
    }
}

/// What the dashboard remembers of one item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ItemLedger {
    creator_id: String,
    /// What each purchase paid, and the creator's share of it, for its
    /// refund.
    purchases: BTreeMap<String, (Money, i128)>,
    /// Current stars by user.
    ratings: BTreeMap<String, u8>,
}

/// Every creator's dashboard.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DashboardView {
    items: BTreeMap<String, ItemLedger>,
    creators: BTreeMap<String, CreatorFigures>,
    /// Sums that saturated (never in practice: see [`super::money`]).
    anomalies: u64,
}

impl DashboardView {
    /// How many sums saturated while folding (each also logged); the
    /// dashboard keeps running past them.
    pub fn anomalies(&self) -> u64 {
        self.anomalies
    }

    /// The figures of `creator_id` (`None`: no item of theirs ever drafted).
    pub fn creator(&self, creator_id: &str) -> Option<&CreatorFigures> {
        self.creators.get(creator_id)
    }

    /// What the dashboard remembers of item `id`, and its creator's figures.
    fn item(&mut self, id: &str) -> Result<(&mut ItemLedger, &mut CreatorFigures), String> {
        let item = self
            .items
            .get_mut(id)
            .ok_or("an event of content that was never drafted")?;
        let creator = self.creators.entry(item.creator_id.clone()).or_default();
        Ok((item, creator))
    }
}

impl Projection for DashboardView {
    const NAME: &'static str = "dashboard";
    const VERSION: u32 = 3;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let Some((id, content)) = event.content() else {
            return Ok(());
        };
        let mut summed = true;
        match content {
            LazyContentEvent::Drafted(e) => {
                let e = e.get()?;
                self.items.insert(
                    id.to_owned(),
                    ItemLedger {
                        creator_id: e.creator_id.clone(),
                        ..ItemLedger::default()
                    },
                );
                self.creators.entry(e.creator_id.clone()).or_default();
            }
            LazyContentEvent::Purchased(e) => {
                let e = e.get()?;
                let (item, creator) = self.item(id)?;
                let day = creator.days.entry(day_of(e.purchased_at)).or_default();
                day.sales = day.sales.saturating_add(1);
                let currency = &e.price.currency;
                summed &= money::add(
                    &mut day.gross_cents,
                    currency,
                    i128::from(e.price.amount_cents),
                );
                let own = Account::Creator(item.creator_id.clone());
                // A sale's shares fit an i128 many times over.
                let earned: i128 = e
                    .shares_for(&item.creator_id)
                    .iter()
                    .filter(|share| share.account == own)
                    .map(|share| i128::from(share.amount_cents))
                    .sum();
                summed &= money::add(&mut day.earned_cents, currency, earned);
                item.purchases
                    .insert(e.purchase_id.clone(), (e.price.clone(), earned));
            }
            LazyContentEvent::PurchaseRefunded(e) => {
                let e = e.get()?;
                let (item, creator) = self.item(id)?;
                let (price, earned) = item
                    .purchases
                    .get(&e.purchase_id)
                    .ok_or("a refund of a purchase that was never made")?;
                let day = creator.days.entry(day_of(e.refunded_at)).or_default();
                day.refunds = day.refunds.saturating_add(1);
                summed &= money::add(
                    &mut day.refunded_cents,
                    &price.currency,
                    i128::from(price.amount_cents),
                );
                summed &= money::add(&mut day.earned_refunded_cents, &price.currency, *earned);
            }
            LazyContentEvent::Rated(e) => {
                let e = e.get()?;
                let (item, creator) = self.item(id)?;
                let day = creator.days.entry(day_of(e.rated_at)).or_default();
                day.ratings += 1;
                day.stars += u64::from(e.stars);
                match item.ratings.insert(e.user_id.clone(), e.stars) {
                    Some(old) => {
                        creator.rating_sum =
                            creator.rating_sum - u64::from(old) + u64::from(e.stars);
                    }
                    None => {
                        creator.rating_sum += u64::from(e.stars);
                        creator.rating_count += 1;
                    }
                }
            }
            LazyContentEvent::DraftEdited(_)
            | LazyContentEvent::PriceSet(_)
            | LazyContentEvent::Published(_)
            | LazyContentEvent::Unpublished(_)
            | LazyContentEvent::Retired(_)
            | LazyContentEvent::ReviewWritten(_)
            | LazyContentEvent::CheckedIn(_)
            | LazyContentEvent::CommentPosted(_)
            | LazyContentEvent::AnswerMarked(_)
            | LazyContentEvent::ListedByPartner(_)
            | LazyContentEvent::DraftGenerated(_)
            | LazyContentEvent::Verified(_) => {}
        }
        if !summed {
            self.anomalies = self.anomalies.saturating_add(1);
            tracing::warn!(
                projection = "dashboard",
                content_id = id,
                "a sum of money saturated"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_events::Timestamp;
    use agora_events::domain::content::{
        Body, ContentDrafted, ContentEvent, ContentKind, ContentPurchased, ContentRated,
        PurchaseRefunded,
    };

    use super::super::content_stream::testing::Log;
    use super::*;
    use crate::content::MICROS_PER_DAY;

    fn on_day(day: i64) -> Timestamp {
        Timestamp(day * MICROS_PER_DAY + 5)
    }

    fn bought(buyer: &str, purchase: &str, cents: u64, day: i64) -> ContentEvent {
        ContentEvent::Purchased(ContentPurchased {
            buyer_id: buyer.into(),
            price: Money {
                amount_cents: cents,
                currency: "CNY".into(),
            },
            purchase_id: purchase.into(),
            purchased_at: on_day(day),
            partner_id: None,
            shares: Vec::new(),
        })
    }

    fn rated(user: &str, stars: u8, day: i64) -> ContentEvent {
        ContentEvent::Rated(ContentRated {
            user_id: user.into(),
            stars,
            rated_at: on_day(day),
        })
    }

    #[test]
    fn given_sales_refunds_and_ratings_then_days_and_periods_add_up() {
        let mut log = Log::default();
        let mut view = DashboardView::default();
        let events = [
            ContentEvent::Drafted(ContentDrafted {
                content_id: "c1".into(),
                creator_id: "u1".into(),
                kind: ContentKind::Article,
                title: "T".into(),
                summary: String::new(),
                body: Body::Text("b".into()),
                tags: vec![],
                language: "en".into(),
                drafted_at: on_day(0),
            }),
            bought("u2", "p1", 1000, 1),
            bought("u3", "p2", 1200, 1),
            rated("u2", 5, 1),
            ContentEvent::PurchaseRefunded(PurchaseRefunded {
                purchase_id: "p1".into(),
                buyer_id: "u2".into(),
                refunded_at: on_day(2),
            }),
            rated("u3", 2, 3),
            rated("u3", 4, 3),
        ];
        for event in &events {
            view.apply(&log.record("c1", event)).expect("applies");
        }
        let creator = view.creator("u1").expect("creator");
        assert_eq!((creator.rating_count, creator.rating_sum), (2, 9));
        let (days, total) = creator.period(0, 10);
        assert_eq!(days.iter().map(|(d, _)| *d).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(total.sales, 2);
        assert_eq!(total.gross_cents["CNY"], 2200);
        assert_eq!(total.refunds, 1);
        assert_eq!(total.net_cents()["CNY"], 1200);
        assert_eq!(total.ratings, 3);
        let (_, day_two) = creator.period(2, 2);
        assert_eq!((day_two.sales, day_two.refunds), (0, 1));
        assert_eq!(day_two.net_cents()["CNY"], -1000);
        assert!(view.creator("u2").is_none());
    }
}
