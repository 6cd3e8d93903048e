//! The seed plan: who the users are, what the items are, and what happens
//! on each day — decided up front from the seed alone, with no I/O.
//!
//! Commands of one day run concurrently, so the plan only lets a command
//! depend on what earlier days did: an item bought today is rated,
//! reviewed, checked in on or refunded from tomorrow on; a refunded
//! purchase is untouched by anything else that day; a question is answered
//! on a later day. Popularity is a power law: items and learners are drawn
//! by Zipf's law over a shuffled ranking, so a few items sell most and a
//! few learners do most.

use std::collections::{HashMap, HashSet};

use agora_actors::content::NewContent;
use agora_actors::ids::idempotency_id;
use agora_events::domain::content::{Body, Chapter, ContentKind, Money};
use agora_events::domain::user::Role;
use uuid::Uuid;

use super::words::{self, TOPICS};
use crate::sample::{Rng, Zipf};

/// Share of users who are creators (at least one).
const CREATOR_SHARE: f64 = 0.05;
/// Exponent of the items' popularity and of the learners' activity.
const POPULARITY_EXPONENT: f64 = 1.0;
/// Exponent of how prolific creators are.
const CREATOR_EXPONENT: f64 = 0.8;
/// Share of each day's commands that are refunds.
const REFUND_SHARE: f64 = 0.02;
/// A purchase is refunded at most this many days after it was made (well
/// inside the default 14-day window).
const REFUND_MAX_AGE_DAYS: u32 = 3;
/// Chance that a learner who checked in on a course yesterday does today.
const STREAK_CONTINUES: f64 = 0.75;
/// Chance that an open question gets the creator's reply on a given day.
const ANSWER_CHANCE: f64 = 0.5;
/// Draws tried before a command falls back to another kind.
const TRIES: usize = 5;
/// Scope of the idempotency keys of seeded commands.
const KEY_SCOPE: &str = "agora seed";

/// What to make.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// Users (at least two: a creator and a learner).
    pub(crate) users: usize,
    /// Content items.
    pub(crate) contents: usize,
    /// Engagement commands after the items are published.
    pub(crate) events: usize,
    /// The seed every choice follows.
    pub(crate) seed: u64,
    /// Days the engagement is spread over (at least one).
    pub(crate) days: u32,
    /// Learners who get the demo password (every creator does).
    pub(crate) logins: usize,
}

/// A user to register.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedUser {
    /// User id.
    pub(crate) id: String,
    /// Public name.
    pub(crate) display_name: String,
    /// Learner or creator.
    pub(crate) role: Role,
    /// Whether they can log in with the demo password.
    pub(crate) password: bool,
    /// The registration's idempotency key.
    pub(crate) key: Uuid,
}

/// An item to draft, price and publish.
#[derive(Clone, Debug)]
pub(crate) struct PlannedItem {
    /// The draft (its `id` is set).
    pub(crate) draft: NewContent,
    /// Index of its creator in [`Plan::users`].
    pub(crate) creator: usize,
    /// Its price.
    pub(crate) price: Money,
    /// Keys of the draft, price and publish commands.
    pub(crate) keys: [Uuid; 3],
}

/// One engagement command. Users and items are indices into the plan.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    /// A learner buys an item.
    Purchase { user: usize, item: usize },
    /// A learner refunds the purchase made by the step keyed `purchase`.
    Refund {
        user: usize,
        item: usize,
        purchase: Uuid,
    },
    /// An owner rates an item.
    Rate { user: usize, item: usize, stars: u8 },
    /// An owner reviews an item.
    Review {
        user: usize,
        item: usize,
        text: &'static str,
    },
    /// An owner of a course checks in for the day.
    CheckIn {
        user: usize,
        item: usize,
        note: &'static str,
    },
    /// Someone comments, asks, or (the creator) replies to the question
    /// posted by the step keyed `parent`.
    Comment {
        user: usize,
        item: usize,
        text: &'static str,
        question: bool,
        parent: Option<Uuid>,
    },
}

/// An engagement command with its idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Step {
    /// The command's idempotency key (also how later steps refer to it).
    pub(crate) key: Uuid,
    /// What to do.
    pub(crate) action: Action,
}

/// Everything the seed will do.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Users, creators first.
    pub(crate) users: Vec<PlannedUser>,
    /// Items.
    pub(crate) items: Vec<PlannedItem>,
    /// Engagement, day by day.
    pub(crate) days: Vec<Vec<Step>>,
}

/// Why a plan cannot be made.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// Fewer than two users.
    TooFewUsers,
    /// Engagement without items.
    NoContents,
    /// No days.
    NoDays,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooFewUsers => "--users must be at least 2 (one creator and one learner)",
            Self::NoContents => "--events needs at least one content item (--contents)",
            Self::NoDays => "--days must be at least 1",
        })
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// The plan for `spec`: the same spec always gives the same plan.
    pub(crate) fn new(spec: &Spec) -> Result<Self, PlanError> {
        if spec.users < 2 {
            return Err(PlanError::TooFewUsers);
        }
        if spec.contents == 0 && spec.events > 0 {
            return Err(PlanError::NoContents);
        }
        if spec.days == 0 {
            return Err(PlanError::NoDays);
        }
        let mut keys = Keys {
            seed: spec.seed,
            next: 0,
        };
        let mut rng = Rng::new(spec.seed);
        let users = users(spec, &mut keys, &mut rng);
        let creators = users.iter().filter(|u| u.role == Role::Creator).count();
        let items = items(spec.contents, creators, &mut keys, &mut rng);
        let days = Engagement::new(spec, &users, &items, creators, keys, rng).run();
        Ok(Self { users, items, days })
    }

    /// Number of engagement steps.
    pub(crate) fn steps(&self) -> usize {
        self.days.iter().map(Vec::len).sum()
    }
}

/// Derives one idempotency key per command, in plan order.
struct Keys {
    seed: u64,
    next: u64,
}

impl Keys {
    fn next(&mut self) -> Uuid {
        let key = self.peek();
        self.next += 1;
        key
    }

    /// The key the next call of [`Keys::next`] returns.
    fn peek(&self) -> Uuid {
        idempotency_id(KEY_SCOPE, &format!("{}:{}", self.seed, self.next + 1))
    }
}

fn users(spec: &Spec, keys: &mut Keys, rng: &mut Rng) -> Vec<PlannedUser> {
    let creators = ((spec.users as f64 * CREATOR_SHARE).ceil() as usize).clamp(1, spec.users - 1);
    let name = |rng: &mut Rng| {
        let given = rng.pick(words::GIVEN).copied().unwrap_or("Sam");
        let family = rng.pick(words::FAMILY).copied().unwrap_or("Li");
        format!("{given} {family}")
    };
    let mut users = Vec::with_capacity(spec.users);
    for k in 0..creators {
        users.push(PlannedUser {
            id: format!("creator-{:04}", k + 1),
            display_name: name(rng),
            role: Role::Creator,
            password: true,
            key: keys.next(),
        });
    }
    for k in 0..spec.users - creators {
        users.push(PlannedUser {
            id: format!("learner-{:05}", k + 1),
            display_name: name(rng),
            role: Role::Learner,
            password: k < spec.logins,
            key: keys.next(),
        });
    }
    users
}

fn items(count: usize, creators: usize, keys: &mut Keys, rng: &mut Rng) -> Vec<PlannedItem> {
    let prolific = Ranking::new(creators, CREATOR_EXPONENT, rng);
    (0..count)
        .map(|k| {
            let topic = &TOPICS[rng.below(TOPICS.len())];
            let kind = match rng.below(100) {
                0..40 => ContentKind::Article,
                40..75 => ContentKind::Course,
                _ => ContentKind::Column,
            };
            let chinese = rng.chance(0.4);
            let (title, summary, language) = if chinese {
                let frame = rng.pick(words::ZH_FRAMES).copied().unwrap_or("{}");
                (
                    frame.replace("{}", topic.zh),
                    format!("关于{}的系统讲解。", topic.zh),
                    "zh-CN",
                )
            } else {
                let frame = rng.pick(words::EN_FRAMES).copied().unwrap_or("{}");
                (
                    frame.replace("{}", topic.en),
                    format!("A structured walk through {}.", topic.en.to_lowercase()),
                    "en",
                )
            };
            let body = match kind {
                ContentKind::Course => Body::Chapters(
                    (1..=5 + rng.below(10))
                        .map(|day| Chapter {
                            title: format!("Day {day}"),
                            body: format!("Lesson {day} of {title}."),
                        })
                        .collect(),
                ),
                _ => Body::Text(format!("{summary}\n\n{title}: the full text.")),
            };
            let cents = [0, 990, 1_990, 2_990, 4_900, 9_900, 19_900][rng.below(7)];
            PlannedItem {
                draft: NewContent {
                    id: Some(format!("item-{:05}", k + 1)),
                    kind,
                    title,
                    summary,
                    body,
                    tags: topic.tags.iter().map(|t| (*t).to_owned()).collect(),
                    language: language.into(),
                },
                creator: prolific.draw(rng),
                price: Money {
                    amount_cents: cents,
                    currency: "CNY".into(),
                },
                keys: [keys.next(), keys.next(), keys.next()],
            }
        })
        .collect()
}

/// Zipf's law over a shuffled order of `0..n`, so the popular ones are
/// not simply the first.
struct Ranking {
    order: Vec<usize>,
    zipf: Zipf,
}

impl Ranking {
    fn new(n: usize, exponent: f64, rng: &mut Rng) -> Self {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        Self {
            order,
            zipf: Zipf::new(n, exponent),
        }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        self.order
            .get(self.zipf.sample(rng))
            .copied()
            .unwrap_or_default()
    }
}

/// The engagement generator's state.
struct Engagement<'a> {
    items: &'a [PlannedItem],
    /// Index of the first learner in the users.
    first_learner: usize,
    events: usize,
    days: u32,
    keys: Keys,
    rng: Rng,
    activity: Ranking,
    popularity: Ranking,
    /// Current purchases: (user, item) → (purchase key, day bought).
    owns: HashMap<(usize, usize), (Uuid, u32)>,
    /// Items each learner owned before today (by learner offset).
    settled: Vec<Vec<usize>>,
    bought_today: Vec<(usize, usize)>,
    refunded_today: Vec<(usize, usize)>,
    checked_today: HashSet<(usize, usize)>,
    streaks: Vec<(usize, usize)>,
    /// Questions asked before today: (item, key).
    questions: Vec<(usize, Uuid)>,
    asked_today: Vec<(usize, Uuid)>,
}

impl<'a> Engagement<'a> {
    fn new(
        spec: &Spec,
        users: &[PlannedUser],
        items: &'a [PlannedItem],
        creators: usize,
        keys: Keys,
        mut rng: Rng,
    ) -> Self {
        let learners = users.len() - creators;
        Self {
            items,
            first_learner: creators,
            events: spec.events,
            days: spec.days,
            keys,
            activity: Ranking::new(learners, POPULARITY_EXPONENT, &mut rng),
            popularity: Ranking::new(items.len(), POPULARITY_EXPONENT, &mut rng),
            rng,
            owns: HashMap::new(),
            settled: vec![Vec::new(); learners],
            bought_today: Vec::new(),
            refunded_today: Vec::new(),
            checked_today: HashSet::new(),
            streaks: Vec::new(),
            questions: Vec::new(),
            asked_today: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<Vec<Step>> {
        let days = self.days as usize;
        (0..self.days)
            .map(|day| {
                let budget = self.events / days + usize::from((day as usize) < self.events % days);
                let steps = self.day(day, budget);
                self.end_of_day();
                steps
            })
            .collect()
    }

    fn day(&mut self, day: u32, budget: usize) -> Vec<Step> {
        let mut steps = Vec::with_capacity(budget);
        if self.items.is_empty() {
            return steps;
        }
        // Refunds first: the refunded purchases leave the owners' lists
        // before anything else today can pick them.
        let refunds = (budget as f64 * REFUND_SHARE).round() as usize;
        for _ in 0..refunds.min(budget) {
            if let Some(action) = self.refund(day) {
                steps.push(self.step(action));
            }
        }
        // The creators answer some of yesterday's questions.
        let open = std::mem::take(&mut self.questions);
        for (item, question) in open {
            if steps.len() < budget && self.rng.chance(ANSWER_CHANCE) {
                let action = Action::Comment {
                    user: self.items[item].creator,
                    item,
                    text: self.rng.pick(words::ANSWERS).copied().unwrap_or("Yes."),
                    question: false,
                    parent: Some(question),
                };
                steps.push(self.step(action));
            } else {
                self.questions.push((item, question));
            }
        }
        // Learners keep their streaks.
        let streaks = std::mem::take(&mut self.streaks);
        for (user, item) in streaks {
            if steps.len() < budget && self.rng.chance(STREAK_CONTINUES) {
                self.checked_today.insert((user, item));
                self.streaks.push((user, item));
                let note = self.rng.pick(words::NOTES).copied().unwrap_or("Done.");
                steps.push(self.step(Action::CheckIn { user, item, note }));
            }
        }
        while steps.len() < budget {
            let action = self.engagement(day);
            steps.push(self.step(action));
        }
        steps
    }

    fn step(&mut self, action: Action) -> Step {
        Step {
            key: self.keys.next(),
            action,
        }
    }

    fn end_of_day(&mut self) {
        for (user, item) in self.bought_today.drain(..) {
            self.settled[user - self.first_learner].push(item);
        }
        for pair in self.refunded_today.drain(..) {
            self.owns.remove(&pair);
        }
        self.checked_today.clear();
        self.questions.append(&mut self.asked_today);
    }

    fn learner(&mut self) -> usize {
        self.first_learner + self.activity.draw(&mut self.rng)
    }

    /// One command of the day's main mix.
    fn engagement(&mut self, day: u32) -> Action {
        let roll = self.rng.below(100);
        let planned = match roll {
            0..45 => self.purchase(day),
            45..65 => self.rate(),
            65..73 => self.review(),
            73..85 => self.new_check_in(),
            _ => return self.comment(roll >= 95),
        };
        planned
            .or_else(|| self.purchase(day))
            .unwrap_or_else(|| self.comment(roll >= 95))
    }

    fn purchase(&mut self, day: u32) -> Option<Action> {
        for _ in 0..TRIES {
            let user = self.learner();
            let item = self.popularity.draw(&mut self.rng);
            if let std::collections::hash_map::Entry::Vacant(entry) = self.owns.entry((user, item))
            {
                // The purchase step's own key, so a refund can name it.
                entry.insert((self.keys.peek(), day));
                self.bought_today.push((user, item));
                return Some(Action::Purchase { user, item });
            }
        }
        None
    }

    /// A learner who owned something before today, and one such item.
    fn owner(&mut self, wanted: impl Fn(&PlannedItem) -> bool) -> Option<(usize, usize)> {
        for _ in 0..TRIES {
            let user = self.learner();
            let settled = &self.settled[user - self.first_learner];
            let candidates: Vec<usize> = settled
                .iter()
                .copied()
                .filter(|&i| wanted(&self.items[i]))
                .collect();
            if let Some(&item) = self.rng.pick(&candidates) {
                return Some((user, item));
            }
        }
        None
    }

    fn rate(&mut self) -> Option<Action> {
        let (user, item) = self.owner(|_| true)?;
        let stars = self.stars();
        Some(Action::Rate { user, item, stars })
    }

    /// Stars skewed to 4 and 5.
    fn stars(&mut self) -> u8 {
        match self.rng.below(100) {
            0..4 => 1,
            4..10 => 2,
            10..25 => 3,
            25..60 => 4,
            _ => 5,
        }
    }

    fn review(&mut self) -> Option<Action> {
        let (user, item) = self.owner(|_| true)?;
        let pool = if self.items[item].draft.language == "en" {
            words::REVIEWS_EN
        } else {
            words::REVIEWS_ZH
        };
        let text = pool[usize::from(5 - self.stars()).min(pool.len() - 1)];
        Some(Action::Review { user, item, text })
    }

    fn new_check_in(&mut self) -> Option<Action> {
        for _ in 0..TRIES {
            let (user, item) = self.owner(|i| i.draft.kind == ContentKind::Course)?;
            if !self.checked_today.contains(&(user, item)) {
                self.checked_today.insert((user, item));
                self.streaks.push((user, item));
                let note = self.rng.pick(words::NOTES).copied().unwrap_or("Done.");
                return Some(Action::CheckIn { user, item, note });
            }
        }
        None
    }

    fn comment(&mut self, question: bool) -> Action {
        let user = self.learner();
        let item = self.popularity.draw(&mut self.rng);
        let pool = if question {
            words::QUESTIONS
        } else {
            words::COMMENTS
        };
        let text = self.rng.pick(pool).copied().unwrap_or("Thanks.");
        if question {
            // The key this step is about to get.
            self.asked_today.push((item, self.keys.peek()));
        }
        Action::Comment {
            user,
            item,
            text,
            question,
            parent: None,
        }
    }

    /// A refund of a purchase made in the last few days (not today).
    fn refund(&mut self, day: u32) -> Option<Action> {
        for _ in 0..TRIES {
            let user = self.learner();
            let offset = user - self.first_learner;
            let settled = &self.settled[offset];
            if settled.is_empty() {
                continue;
            }
            let at = self.rng.below(settled.len());
            let item = settled[at];
            let Some(&(purchase, bought)) = self.owns.get(&(user, item)) else {
                continue;
            };
            if day - bought > REFUND_MAX_AGE_DAYS {
                continue;
            }
            self.settled[offset].swap_remove(at);
            self.streaks.retain(|&pair| pair != (user, item));
            self.refunded_today.push((user, item));
            return Some(Action::Refund {
                user,
                item,
                purchase,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> Spec {
        Spec {
            users: 60,
            contents: 25,
            events: 3_000,
            seed,
            days: 20,
            logins: 5,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan() {
        let a = Plan::new(&spec(7)).expect("plan");
        let b = Plan::new(&spec(7)).expect("plan");
        let c = Plan::new(&spec(8)).expect("plan");
        assert_eq!(a.users, b.users);
        assert_eq!(a.days, b.days);
        assert_ne!(a.days, c.days);
        assert_eq!(a.steps(), 3_000);
    }

    #[test]
    fn users_are_mostly_learners_and_items_mix_kinds_and_languages() {
        let plan = Plan::new(&spec(1)).expect("plan");
        let creators = plan
            .users
            .iter()
            .filter(|u| u.role == Role::Creator)
            .count();
        assert_eq!(creators, 3);
        assert_eq!(plan.users.iter().filter(|u| u.password).count(), 3 + 5);
        let kinds: HashSet<_> = plan.items.iter().map(|i| i.draft.kind).collect();
        assert_eq!(kinds.len(), 3);
        let languages: HashSet<_> = plan.items.iter().map(|i| &i.draft.language).collect();
        assert_eq!(languages.len(), 2);
        assert!(plan.items.iter().all(|i| i.creator < creators));
    }

    /// Replays the plan against the rules the aggregates enforce, with the
    /// commands of one day in any order: every step must be accepted.
    #[test]
    fn every_step_is_valid_whatever_the_order_within_a_day() {
        let plan = Plan::new(&spec(3)).expect("plan");
        let mut owned_before_today: HashSet<(usize, usize)> = HashSet::new();
        let mut purchases: HashMap<Uuid, (usize, usize)> = HashMap::new();
        let mut questions: HashSet<Uuid> = HashSet::new();
        let mut counts = HashMap::new();
        for steps in &plan.days {
            let mut bought = HashSet::new();
            let mut refunded = HashSet::new();
            let mut touched = HashSet::new();
            let mut checked = HashSet::new();
            let mut asked = Vec::new();
            for step in steps {
                let name = format!("{:?}", step.action);
                *counts
                    .entry(
                        name.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                    .or_insert(0) += 1;
                match &step.action {
                    Action::Purchase { user, item } => {
                        assert!(plan.users[*user].role == Role::Learner);
                        assert!(!owned_before_today.contains(&(*user, *item)));
                        assert!(bought.insert((*user, *item)), "bought twice in a day");
                        purchases.insert(step.key, (*user, *item));
                    }
                    Action::Refund {
                        user,
                        item,
                        purchase,
                    } => {
                        assert_eq!(purchases.get(purchase), Some(&(*user, *item)));
                        assert!(owned_before_today.contains(&(*user, *item)));
                        assert!(refunded.insert((*user, *item)));
                    }
                    Action::Rate { user, item, stars } => {
                        assert!((1..=5).contains(stars));
                        assert!(owned_before_today.contains(&(*user, *item)));
                        touched.insert((*user, *item));
                    }
                    Action::Review { user, item, .. } => {
                        assert!(owned_before_today.contains(&(*user, *item)));
                        touched.insert((*user, *item));
                    }
                    Action::CheckIn { user, item, .. } => {
                        assert_eq!(plan.items[*item].draft.kind, ContentKind::Course);
                        assert!(owned_before_today.contains(&(*user, *item)));
                        assert!(checked.insert((*user, *item)), "two check-ins in a day");
                        touched.insert((*user, *item));
                    }
                    Action::Comment {
                        user,
                        item,
                        question,
                        parent,
                        ..
                    } => {
                        if let Some(parent) = parent {
                            assert!(questions.contains(parent), "a reply to an unknown question");
                            assert_eq!(plan.items[*item].creator, *user);
                        }
                        if *question {
                            asked.push(step.key);
                        }
                    }
                }
            }
            assert!(
                refunded.is_disjoint(&touched),
                "a refunded purchase is used the same day"
            );
            for pair in &refunded {
                assert!(!bought.contains(pair));
                owned_before_today.remove(pair);
            }
            owned_before_today.extend(bought);
            questions.extend(asked);
        }
        for kind in ["Purchase", "Refund", "Rate", "Review", "CheckIn", "Comment"] {
            assert!(
                counts.get(kind).copied().unwrap_or(0) > 0,
                "no {kind}: {counts:?}"
            );
        }
    }

    #[test]
    fn bad_specs_are_refused() {
        let mut s = spec(1);
        s.users = 1;
        assert_eq!(Plan::new(&s).err(), Some(PlanError::TooFewUsers));
        let mut s = spec(1);
        s.contents = 0;
        assert_eq!(Plan::new(&s).err(), Some(PlanError::NoContents));
        let mut s = spec(1);
        s.days = 0;
        assert_eq!(Plan::new(&s).err(), Some(PlanError::NoDays));
    }
}
