//! The mixed workload: each connection is a closed loop (send, wait for the
//! whole answer, send the next) acting for its own share of the learners,
//! so what it knows of them (what they own, where they checked in today)
//! is exact without sharing state between connections.
//!
//! Reads: the catalog listing (sorted, sometimes filtered by tag), one item,
//! the caller's own profile. Commands: purchases (Zipf-popular items the
//! user does not own yet), ratings (skewed to 4–5), check-ins on owned
//! courses (once a day each) and comments. A command that has nothing to
//! act on (a rating before any purchase) falls back to one that has.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

use super::conn::{Connection, Request};
use super::prepare::{BenchItem, BenchUser, TAGS};
use crate::sample::{Rng, Zipf};

/// Highest latency tracked, in microseconds (one minute).
const MAX_LATENCY_US: u64 = 60_000_000;
/// Pause after a transport error before the next request (the server may
/// be gone; do not spin).
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    /// `GET /v1/contents?...`
    List,
    /// `GET /v1/contents/{id}`
    Read,
    /// `GET /v1/users/{me}` with the token (personal data decrypted).
    Profile,
    /// `POST /v1/contents/{id}/purchases`
    Purchase,
    /// `PUT /v1/contents/{id}/rating`
    Rate,
    /// `POST /v1/contents/{id}/check-ins`
    CheckIn,
    /// `POST /v1/contents/{id}/comments`
    Comment,
}

impl Op {
    /// Every op, in report order.
    pub(super) const ALL: [Op; 7] = [
        Op::List,
        Op::Read,
        Op::Profile,
        Op::Purchase,
        Op::Rate,
        Op::CheckIn,
        Op::Comment,
    ];

    /// The op's name in reports.
    pub(super) fn name(self) -> &'static str {
        match self {
            Op::List => "catalog list",
            Op::Read => "content read",
            Op::Profile => "own profile",
            Op::Purchase => "purchase",
            Op::Rate => "rating",
            Op::CheckIn => "check-in",
            Op::Comment => "comment",
        }
    }

    /// Whether the op writes (a command) rather than reads.
    pub(super) fn is_command(self) -> bool {
        matches!(self, Op::Purchase | Op::Rate | Op::CheckIn | Op::Comment)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The shares of the mix, in percent of all requests.
#[derive(Clone, Copy, Debug)]
pub(super) struct Mix {
    /// Reads, in percent (the rest are commands).
    pub(super) read_percent: u32,
}

impl Mix {
    /// Draws the next op: reads split 40/45/15 between listing, item and
    /// profile; commands 40/20/20/20 between purchase, rating, check-in
    /// and comment.
    fn draw(self, rng: &mut Rng) -> Op {
        let r = rng.below(100 * 100) as u32;
        if r < self.read_percent * 100 {
            match r % 100 {
                0..40 => Op::List,
                40..85 => Op::Read,
                _ => Op::Profile,
            }
        } else {
            match r % 100 {
                0..40 => Op::Purchase,
                40..60 => Op::Rate,
                60..80 => Op::CheckIn,
                _ => Op::Comment,
            }
        }
    }
}

/// What one op measured.
pub(super) struct OpStats {
    /// Latency of answered requests, microseconds.
    pub(super) latency: Histogram<u64>,
    /// Answers that were not 2xx.
    pub(super) failed: u64,
    /// Requests with no answer (connection errors).
    pub(super) transport_errors: u64,
}

impl OpStats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latency: histogram()?,
            failed: 0,
            transport_errors: 0,
        })
    }

    /// Adds `other` into this.
    pub(super) fn merge(&mut self, other: &OpStats) -> anyhow::Result<()> {
        self.latency
            .add(&other.latency)
            .context("merging histograms")?;
        self.failed += other.failed;
        self.transport_errors += other.transport_errors;
        Ok(())
    }
}

/// A latency histogram in microseconds, 3 significant figures.
pub(super) fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("creating a histogram")
}

/// A learner as one connection knows them.
struct Learner {
    user: BenchUser,
    profile_path: String,
    owned: Vec<usize>,
    owns: Vec<bool>,
    /// Owned courses not checked in on today.
    may_check_in: Vec<usize>,
}

/// The time window a connection works in.
#[derive(Clone, Copy, Debug)]
pub(super) struct Window {
    /// Requests sent before this are not recorded (warm-up).
    pub(super) record_from: Instant,
    /// No request is sent after this.
    pub(super) until: Instant,
}

/// One connection's loop.
pub(super) struct Worker {
    conn: Connection,
    rng: Rng,
    learners: Vec<Learner>,
    items: Arc<[BenchItem]>,
    popularity: Arc<Zipf>,
    mix: Mix,
    stats: Vec<OpStats>,
    next_learner: usize,
    body: Vec<u8>,
}

impl Worker {
    /// A worker on `conn` acting for `learners`.
    pub(super) fn new(
        conn: Connection,
        rng: Rng,
        learners: Vec<BenchUser>,
        items: Arc<[BenchItem]>,
        popularity: Arc<Zipf>,
        mix: Mix,
    ) -> anyhow::Result<Self> {
        let learners = learners
            .into_iter()
            .map(|user| Learner {
                profile_path: format!("/v1/users/{}", user.id),
                user,
                owned: Vec::new(),
                owns: vec![false; items.len()],
                may_check_in: Vec::new(),
            })
            .collect();
        Ok(Self {
            conn,
            rng,
            learners,
            items,
            popularity,
            mix,
            stats: Op::ALL
                .iter()
                .map(|_| OpStats::new())
                .collect::<Result<_, _>>()?,
            next_learner: 0,
            body: Vec::with_capacity(256),
        })
    }

    /// Runs the loop until `window.until`; returns the stats by op (in
    /// [`Op::ALL`] order).
    pub(super) async fn run(mut self, window: Window) -> Vec<OpStats> {
        if self.learners.is_empty() {
            return self.stats;
        }
        loop {
            let sent = Instant::now();
            if sent >= window.until {
                return self.stats;
            }
            let who = self.next_learner;
            self.next_learner = (self.next_learner + 1) % self.learners.len();
            let op = self.mix.draw(&mut self.rng);
            let (op, path, item) = self.plan(who, op);
            let method = match op {
                Op::List | Op::Read | Op::Profile => "GET",
                Op::Rate => "PUT",
                Op::Purchase | Op::CheckIn | Op::Comment => "POST",
            };
            let token = match op {
                Op::List | Op::Read => None,
                _ => Some(self.learners[who].user.token.as_str()),
            };
            let json = (!self.body.is_empty()).then_some(self.body.as_slice());
            let answer = self
                .conn
                .send(&Request {
                    method,
                    path: &path,
                    token,
                    json,
                })
                .await;
            let elapsed = sent.elapsed();
            let record = sent >= window.record_from;
            match answer {
                Ok(response) => {
                    if response.is_success() {
                        self.learned(who, op, item);
                    }
                    if record {
                        let stats = &mut self.stats[op.index()];
                        stats.latency.saturating_record(elapsed.as_micros() as u64);
                        if !response.is_success() {
                            stats.failed += 1;
                        }
                    }
                }
                Err(_) => {
                    if record {
                        self.stats[op.index()].transport_errors += 1;
                    }
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            }
        }
    }

    /// Chooses the target of `op` for learner `who` (or falls back to an op
    /// that has one) and fills the body; returns the op, the path and the
    /// item acted on.
    fn plan(&mut self, who: usize, op: Op) -> (Op, String, Option<usize>) {
        self.body.clear();
        let op = match op {
            Op::Rate if self.learners[who].owned.is_empty() => Op::Purchase,
            Op::CheckIn if self.learners[who].may_check_in.is_empty() => Op::Comment,
            other => other,
        };
        match op {
            Op::List => {
                let sort = ["newest", "rating", "sales"][self.rng.below(3)];
                let mut path = format!("/v1/contents?limit=20&sort={sort}");
                if self.rng.chance(0.25)
                    && let Some(tag) = self.rng.pick(&TAGS[..TAGS.len() - 1])
                {
                    path.push_str("&tag=");
                    path.push_str(tag);
                }
                (op, path, None)
            }
            Op::Read => {
                let item = self.popularity.sample(&mut self.rng);
                (op, format!("/v1/contents/{}", self.items[item].id), None)
            }
            Op::Profile => (op, self.learners[who].profile_path.clone(), None),
            Op::Purchase => match self.unowned(who) {
                Some(item) => {
                    let path = format!("/v1/contents/{}/purchases", self.items[item].id);
                    (op, path, Some(item))
                }
                None => self.comment(),
            },
            Op::Rate => {
                let learner = &self.learners[who];
                let item = learner.owned[self.rng.below(learner.owned.len())];
                let stars = match self.rng.below(100) {
                    0..5 => 1,
                    5..10 => 2,
                    10..25 => 3,
                    25..60 => 4,
                    _ => 5,
                };
                self.body
                    .extend_from_slice(format!("{{\"stars\":{stars}}}").as_bytes());
                let path = format!("/v1/contents/{}/rating", self.items[item].id);
                (op, path, Some(item))
            }
            Op::CheckIn => {
                let learner = &self.learners[who];
                let item = learner.may_check_in[self.rng.below(learner.may_check_in.len())];
                self.body
                    .extend_from_slice(br#"{"note":"did today's lesson"}"#);
                let path = format!("/v1/contents/{}/check-ins", self.items[item].id);
                (op, path, Some(item))
            }
            Op::Comment => self.comment(),
        }
    }

    fn comment(&mut self) -> (Op, String, Option<usize>) {
        let item = self.popularity.sample(&mut self.rng);
        let text = [
            r#"{"text":"Clear and useful, thanks."}"#,
            r#"{"text":"Does chapter 2 cover async too?","is_question":true}"#,
            r#"{"text":"讲得很清楚，谢谢！"}"#,
        ][self.rng.below(3)];
        self.body.clear();
        self.body.extend_from_slice(text.as_bytes());
        let path = format!("/v1/contents/{}/comments", self.items[item].id);
        (Op::Comment, path, Some(item))
    }

    /// A popular item `who` does not own: a few Zipf draws, then the first
    /// unowned item from a random start.
    fn unowned(&mut self, who: usize) -> Option<usize> {
        let owns = &self.learners[who].owns;
        for _ in 0..4 {
            let item = self.popularity.sample(&mut self.rng);
            if !owns[item] {
                return Some(item);
            }
        }
        let start = self.rng.below(owns.len());
        (0..owns.len())
            .map(|k| (start + k) % owns.len())
            .find(|&item| !owns[item])
    }

    /// Updates what the connection knows after a successful `op`.
    fn learned(&mut self, who: usize, op: Op, item: Option<usize>) {
        let Some(item) = item else { return };
        let learner = &mut self.learners[who];
        match op {
            Op::Purchase if !learner.owns[item] => {
                learner.owns[item] = true;
                learner.owned.push(item);
                if self.items[item].course {
                    learner.may_check_in.push(item);
                }
            }
            Op::CheckIn => learner.may_check_in.retain(|&c| c != item),
            _ => {}
        }
    }
}
