//! What learners wrote about each content item: its reviews, each with the
//! rating its reviewer gave, and its comments as threads (questions and
//! their marked answers) — folded from the Content events.
//!
//! Ratings and reviews are separate events (a user may rate without
//! writing, or write without rating); a review is shown with its writer's
//! current rating. A later review of the same user replaces the earlier one
//! and moves to the front. Comments form threads: a comment without a
//! parent starts one, a reply joins its parent's thread (however deep).
//!
//! Pages are ordered newest first by the global position of the event that
//! wrote the entry (a review's latest write, a thread's first comment), so
//! the position is a cursor that never ties: a page continues strictly
//! before the last position of the page before. A review rewritten between
//! two pages moves to the front (it is not seen twice).
//!
//! Every event the write side accepted folds in: an event that breaks its
//! documented guarantees (a reply to an unknown comment, a mark on an
//! unknown question) is folded as well as it can be, never an error, so the
//! model never stops.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::Timestamp;
use agora_events::domain::content::LazyContentEvent;
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};

/// Most entries (reviews, threads) one page returns.
pub const MAX_DISCUSSION_PAGE: usize = 100;

/// One user's review of an item (their latest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StoredReview {
    text: String,
    written_at: Timestamp,
    /// Position of the latest write (the review's place in the order).
    position: u64,
}

/// One comment, with what the threads need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StoredComment {
    author_id: String,
    parent_id: Option<String>,
    text: String,
    is_question: bool,
    posted_at: Timestamp,
    /// The first comment of its thread (itself for a thread's start).
    root_id: String,
    /// The reply marked as its answer (questions only).
    answer_id: Option<String>,
}

/// Everything written about one item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Discussion {
    /// Reviews by reviewer.
    reviews: BTreeMap<String, StoredReview>,
    /// Reviewers by the position of their latest review.
    review_order: BTreeMap<u64, String>,
    /// Current stars by rater.
    ratings: BTreeMap<String, u8>,
    /// Comments by id.
    comments: BTreeMap<String, StoredComment>,
    /// Thread starts by the position of their first comment.
    thread_order: BTreeMap<u64, String>,
    /// The replies of each thread (by its first comment), in posting order.
    replies: BTreeMap<String, Vec<String>>,
}

/// A review as read: the text, and the stars its writer gave (if they
/// rated the item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// Who wrote it.
    pub user_id: String,
    /// The review.
    pub text: String,
    /// The writer's current rating, 1 to 5, if they rated.
    pub stars: Option<u8>,
    /// When the current text was written.
    pub written_at: Timestamp,
}

/// A comment as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Its id, unique within the item.
    pub id: String,
    /// Who wrote it.
    pub author_id: String,
    /// The comment it replies to (`None` for a thread's start).
    pub parent_id: Option<String>,
    /// The text.
    pub text: String,
    /// Whether it asks a question.
    pub is_question: bool,
    /// The reply the creator marked as its answer (questions only).
    pub answer_id: Option<String>,
    /// Whether it is the marked answer of a question in its thread.
    pub is_answer: bool,
    /// When it was posted.
    pub posted_at: Timestamp,
}

/// A thread: its first comment and every reply in it, in posting order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    /// The comment that started it.
    pub comment: Comment,
    /// The replies, at any depth (each names its parent), oldest first.
    pub replies: Vec<Comment>,
}

/// One page of entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The entries.
    pub entries: Vec<T>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<u64>,
}

/// The reviews and comment threads of every item.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DiscussionsView {
    items: BTreeMap<String, Discussion>,
}

impl DiscussionsView {
    /// Up to `limit` reviews of `content_id` (at most
    /// [`MAX_DISCUSSION_PAGE`]), newest first, strictly before cursor
    /// `after` when given. An item without reviews has an empty page.
    pub fn reviews(&self, content_id: &str, after: Option<u64>, limit: usize) -> Page<Review> {
        let Some(item) = self.items.get(content_id) else {
            return empty_page();
        };
        page(&item.review_order, after, limit, |user_id| {
            let review = item.reviews.get(user_id)?;
            Some(Review {
                user_id: user_id.to_owned(),
                text: review.text.clone(),
                stars: item.ratings.get(user_id).copied(),
                written_at: review.written_at,
            })
        })
    }

    /// Up to `limit` threads of `content_id` (at most
    /// [`MAX_DISCUSSION_PAGE`]), newest first, strictly before cursor
    /// `after` when given, each with all its replies.
    pub fn threads(&self, content_id: &str, after: Option<u64>, limit: usize) -> Page<Thread> {
        let Some(item) = self.items.get(content_id) else {
            return empty_page();
        };
        page(&item.thread_order, after, limit, |root_id| {
            let reply_ids = item.replies.get(root_id).map_or(&[][..], Vec::as_slice);
            let answers: BTreeSet<&str> = std::iter::once(root_id)
                .chain(reply_ids.iter().map(String::as_str))
                .filter_map(|id| item.comments.get(id)?.answer_id.as_deref())
                .collect();
            let read = |id: &str| {
                item.comments.get(id).map(|c| Comment {
                    id: id.to_owned(),
                    author_id: c.author_id.clone(),
                    parent_id: c.parent_id.clone(),
                    text: c.text.clone(),
                    is_question: c.is_question,
                    answer_id: c.answer_id.clone(),
                    is_answer: answers.contains(id),
                    posted_at: c.posted_at,
                })
            };
            Some(Thread {
                comment: read(root_id)?,
                replies: reply_ids.iter().filter_map(|id| read(id)).collect(),
            })
        })
    }

    fn item_mut(&mut self, content_id: &str) -> &mut Discussion {
        // Look up before inserting: most events are for an item already
        // here, and `entry` would allocate the key every time.
        if !self.items.contains_key(content_id) {
            self.items
                .insert(content_id.to_owned(), Discussion::default());
        }
        self.items
            .get_mut(content_id)
            .expect("the item was inserted above")
    }
}

fn empty_page<T>() -> Page<T> {
    Page {
        entries: Vec::new(),
        next_after: None,
    }
}

/// The entries of `order` before `after`, newest first, read with `read`.
fn page<T>(
    order: &BTreeMap<u64, String>,
    after: Option<u64>,
    limit: usize,
    read: impl Fn(&str) -> Option<T>,
) -> Page<T> {
    let limit = limit.clamp(1, MAX_DISCUSSION_PAGE);
    let range = match after {
        Some(cursor) => order.range(..cursor),
        None => order.range(..),
    };
    let mut entries = Vec::with_capacity(limit.min(order.len()));
    let mut last = None;
    for (&position, id) in range.rev() {
        if entries.len() == limit {
            break;
        }
        if let Some(entry) = read(id) {
            entries.push(entry);
            last = Some(position);
        }
    }
    // A next page exists if anything is left before the last entry shown.
    let more = last.is_some_and(|l| order.range(..l).next().is_some());
    Page {
        entries,
        next_after: if more { last } else { None },
    }
}

impl Projection for DiscussionsView {
    const NAME: &'static str = "discussions";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let Some((id, content)) = event.content() else {
            return Ok(());
        };
        let position = event.recorded().position;
        match content {
            LazyContentEvent::Rated(e) => {
                let e = e.get()?;
                let ratings = &mut self.item_mut(id).ratings;
                match ratings.get_mut(&e.user_id) {
                    Some(stars) => *stars = e.stars,
                    None => {
                        ratings.insert(e.user_id.clone(), e.stars);
                    }
                }
            }
            LazyContentEvent::ReviewWritten(e) => {
                let e = e.get()?;
                let item = self.item_mut(id);
                let review = StoredReview {
                    text: e.text.clone(),
                    written_at: e.written_at,
                    position,
                };
                if let Some(old) = item.reviews.insert(e.user_id.clone(), review) {
                    item.review_order.remove(&old.position);
                }
                item.review_order.insert(position, e.user_id.clone());
            }
            LazyContentEvent::CommentPosted(e) => {
                let e = e.get()?;
                let item = self.item_mut(id);
                if item.comments.contains_key(&e.comment_id) {
                    // An id is never reused (a guarantee); keep the first.
                    return Ok(());
                }
                let root_id = e
                    .parent_id
                    .as_ref()
                    .and_then(|parent| item.comments.get(parent))
                    .map(|parent| parent.root_id.clone());
                match &root_id {
                    Some(root) => item
                        .replies
                        .entry(root.clone())
                        .or_default()
                        .push(e.comment_id.clone()),
                    None => {
                        item.thread_order.insert(position, e.comment_id.clone());
                    }
                }
                let comment = StoredComment {
                    author_id: e.author_id.clone(),
                    parent_id: e.parent_id.clone(),
                    text: e.text.clone(),
                    is_question: e.is_question,
                    posted_at: e.posted_at,
                    root_id: root_id.unwrap_or_else(|| e.comment_id.clone()),
                    answer_id: None,
                };
                item.comments.insert(e.comment_id.clone(), comment);
            }
            LazyContentEvent::AnswerMarked(e) => {
                let e = e.get()?;
                let question = self
                    .items
                    .get_mut(id)
                    .and_then(|item| item.comments.get_mut(&e.comment_id));
                if let Some(question) = question {
                    question.answer_id = Some(e.answer_id.clone());
                }
            }
            LazyContentEvent::Drafted(_)
            | LazyContentEvent::DraftEdited(_)
            | LazyContentEvent::PriceSet(_)
            | LazyContentEvent::Published(_)
            | LazyContentEvent::Unpublished(_)
            | LazyContentEvent::Retired(_)
            | LazyContentEvent::Purchased(_)
            | LazyContentEvent::PurchaseRefunded(_)
            | LazyContentEvent::CheckedIn(_)
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
        AnswerMarked, CommentPosted, ContentEvent, ContentRated, ReviewWritten,
    };

    use super::super::content_stream::testing::Log;
    use super::*;

    fn rated(user: &str, stars: u8) -> ContentEvent {
        ContentEvent::Rated(ContentRated {
            user_id: user.into(),
            stars,
            rated_at: Timestamp(1),
        })
    }

    fn reviewed(user: &str, text: &str, at: i64) -> ContentEvent {
        ContentEvent::ReviewWritten(ReviewWritten {
            user_id: user.into(),
            text: text.into(),
            written_at: Timestamp(at),
        })
    }

    fn posted(id: &str, parent: Option<&str>, is_question: bool) -> ContentEvent {
        ContentEvent::CommentPosted(CommentPosted {
            comment_id: id.into(),
            author_id: format!("author-of-{id}"),
            parent_id: parent.map(Into::into),
            text: format!("text of {id}"),
            is_question,
            posted_at: Timestamp(2),
        })
    }

    fn marked(question: &str, answer: &str) -> ContentEvent {
        ContentEvent::AnswerMarked(AnswerMarked {
            comment_id: question.into(),
            answer_id: answer.into(),
            marked_at: Timestamp(3),
        })
    }

    fn fold(events: &[(&str, ContentEvent)]) -> DiscussionsView {
        let mut log = Log::default();
        let mut view = DiscussionsView::default();
        for (id, event) in events {
            view.apply(&log.record(id, event)).expect("applies");
        }
        view
    }

    fn reviewers(page: &Page<Review>) -> Vec<&str> {
        page.entries.iter().map(|r| r.user_id.as_str()).collect()
    }

    #[test]
    fn reviews_carry_their_writers_rating_and_a_rewrite_replaces_and_moves_to_the_front() {
        let view = fold(&[
            ("c1", reviewed("ann", "Good.", 10)),
            ("c1", rated("ann", 4)),
            ("c1", reviewed("bob", "Meh.", 11)),
            ("c2", reviewed("cy", "Other item.", 12)),
            ("c1", rated("ann", 5)),
            ("c1", rated("dee", 2)),
            ("c1", reviewed("ann", "Great, on second reading.", 13)),
        ]);
        let page = view.reviews("c1", None, 10);
        assert_eq!(reviewers(&page), ["ann", "bob"], "dee rated, never wrote");
        assert_eq!(page.entries[0].text, "Great, on second reading.");
        assert_eq!(page.entries[0].stars, Some(5), "the current rating");
        assert_eq!(page.entries[0].written_at, Timestamp(13));
        assert_eq!(page.entries[1].stars, None, "bob never rated");
        assert_eq!(page.next_after, None);
        assert!(view.reviews("nothing", None, 10).entries.is_empty());
    }

    #[test]
    fn review_pages_follow_the_cursor_without_repeats_or_gaps() {
        let events: Vec<(&str, ContentEvent)> = ["u1", "u2", "u3", "u4", "u5"]
            .iter()
            .enumerate()
            .map(|(i, u)| ("c1", reviewed(u, "ok", i as i64)))
            .collect();
        let view = fold(&events);
        let first = view.reviews("c1", None, 2);
        assert_eq!(reviewers(&first), ["u5", "u4"]);
        let second = view.reviews("c1", first.next_after, 2);
        assert_eq!(reviewers(&second), ["u3", "u2"]);
        let third = view.reviews("c1", second.next_after, 2);
        assert_eq!(reviewers(&third), ["u1"]);
        assert_eq!(third.next_after, None, "the last page says so");
        let exact = view.reviews("c1", None, 5);
        assert_eq!(exact.next_after, None, "a full last page has no next");
        assert_eq!(view.reviews("c1", None, 0).entries.len(), 1, "at least one");
    }

    #[test]
    fn comments_form_threads_with_nested_replies_and_a_marked_answer() {
        let view = fold(&[
            ("c1", posted("q", None, true)),
            ("c1", posted("aside", None, false)),
            ("c1", posted("r1", Some("q"), false)),
            ("c1", posted("r2", Some("r1"), false)),
            ("c1", posted("r3", Some("aside"), false)),
            ("c1", marked("q", "r1")),
            ("c1", marked("q", "r2")),
        ]);
        let page = view.threads("c1", None, 10);
        let starts: Vec<&str> = page.entries.iter().map(|t| t.comment.id.as_str()).collect();
        assert_eq!(starts, ["aside", "q"], "newest thread first");
        let question = &page.entries[1];
        assert!(question.comment.is_question);
        assert_eq!(
            question.comment.answer_id.as_deref(),
            Some("r2"),
            "the later mark"
        );
        let replies: Vec<(&str, Option<&str>, bool)> = question
            .replies
            .iter()
            .map(|r| (r.id.as_str(), r.parent_id.as_deref(), r.is_answer))
            .collect();
        assert_eq!(
            replies,
            [("r1", Some("q"), false), ("r2", Some("r1"), true)],
            "a reply to a reply stays in the thread"
        );
        assert_eq!(page.entries[0].replies.len(), 1);
        assert_eq!(page.entries[0].comment.answer_id, None);
        let older = view.threads("c1", view.threads("c1", None, 1).next_after, 1);
        assert_eq!(older.entries[0].comment.id, "q");
        assert_eq!(older.next_after, None);
    }

    #[test]
    fn events_that_break_their_guarantees_fold_without_stopping() {
        let view = fold(&[
            ("c1", posted("orphan", Some("missing"), false)),
            ("c1", marked("missing", "orphan")),
            ("c1", posted("orphan", None, true)),
        ]);
        let page = view.threads("c1", None, 10);
        assert_eq!(page.entries.len(), 1, "an unknown parent starts a thread");
        assert_eq!(
            page.entries[0].comment.parent_id.as_deref(),
            Some("missing")
        );
        assert!(
            !page.entries[0].comment.is_question,
            "the first one is kept"
        );
    }
}
