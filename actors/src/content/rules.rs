//! Field rules of a content item: the limits, and the checks that turn a
//! caller's value into the normalised value an event records.

use agora_events::Timestamp;
use agora_events::domain::content::{Body, Chapter, Money};

use super::ContentError;
use crate::user::valid_id;

/// Longest title (of the item or of a chapter), in characters after trimming.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest summary, in characters after trimming.
pub const MAX_SUMMARY_CHARS: usize = 1000;
/// Largest body, in bytes of UTF-8 (all chapter titles and texts together).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most tags on one item.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters after trimming.
pub const MAX_TAG_CHARS: usize = 40;
/// Longest language tag (BCP 47 shape), in characters.
pub const MAX_LANGUAGE_CHARS: usize = 35;
/// Longest review, in characters after trimming.
pub const MAX_REVIEW_CHARS: usize = 5000;
/// Longest comment, in characters after trimming.
pub const MAX_COMMENT_CHARS: usize = 5000;
/// Longest check-in note, in characters after trimming.
pub const MAX_CHECK_IN_NOTE_CHARS: usize = 1000;
/// Lowest rating.
pub const MIN_STARS: u8 = 1;
/// Highest rating.
pub const MAX_STARS: u8 = 5;
/// Microseconds in one day: check-in days are `now / MICROS_PER_DAY` (UTC).
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The check-in day of `now`: whole days since the Unix epoch, UTC. Times
/// before 1970 (never seen from a real clock) count as day 0.
pub fn day_of(now: Timestamp) -> u32 {
    u32::try_from(now.0.div_euclid(MICROS_PER_DAY)).unwrap_or(0)
}

/// Trims and checks an item title.
pub(crate) fn title(title: &str) -> Result<String, ContentError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(ContentError::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ContentError::TitleTooLong);
    }
    if title.chars().any(char::is_control) {
        return Err(ContentError::ControlCharacter("title"));
    }
    Ok(title.to_owned())
}

/// Trims and checks a summary (which may be empty).
pub(crate) fn summary(summary: &str) -> Result<String, ContentError> {
    let summary = summary.trim();
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(ContentError::SummaryTooLong);
    }
    Ok(summary.to_owned())
}

/// Checks a body: its size, and each chapter's title (trimmed). Texts are
/// kept as written.
pub(crate) fn body(body: &Body) -> Result<Body, ContentError> {
    match body {
        Body::Text(text) => {
            if text.len() > MAX_BODY_BYTES {
                return Err(ContentError::BodyTooLarge);
            }
            Ok(body.clone())
        }
        Body::Chapters(chapters) => {
            let bytes: usize = chapters.iter().map(|c| c.title.len() + c.body.len()).sum();
            if bytes > MAX_BODY_BYTES {
                return Err(ContentError::BodyTooLarge);
            }
            let chapters = chapters
                .iter()
                .map(|c| {
                    let title = c.title.trim();
                    if title.is_empty() {
                        return Err(ContentError::EmptyChapterTitle);
                    }
                    if title.chars().count() > MAX_TITLE_CHARS {
                        return Err(ContentError::ChapterTitleTooLong);
                    }
                    if title.chars().any(char::is_control) {
                        return Err(ContentError::ControlCharacter("chapter title"));
                    }
                    Ok(Chapter {
                        title: title.to_owned(),
                        body: c.body.clone(),
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(Body::Chapters(chapters))
        }
    }
}

/// Whether a body has something to read: non-blank text, or at least one
/// chapter with non-blank text. Publishing needs one.
pub fn has_text(body: &Body) -> bool {
    match body {
        Body::Text(text) => !text.trim().is_empty(),
        Body::Chapters(chapters) => chapters.iter().any(|c| !c.body.trim().is_empty()),
    }
}

/// Trims and checks tags; repeats are dropped, the first occurrence keeps
/// its place.
pub(crate) fn tags(tags: &[String]) -> Result<Vec<String>, ContentError> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(ContentError::EmptyTag);
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(ContentError::TagTooLong);
        }
        if tag.chars().any(char::is_control) {
            return Err(ContentError::ControlCharacter("tag"));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ContentError::TooManyTags);
    }
    Ok(out)
}

/// Trims and checks a language tag: a primary subtag of 2–3 ASCII letters,
/// then `-`-separated subtags of 1–8 ASCII letters or digits (`en`,
/// `zh-CN`, `zh-Hans-CN`).
pub(crate) fn language(language: &str) -> Result<String, ContentError> {
    let language = language.trim();
    let mut subtags = language.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || language.len() > MAX_LANGUAGE_CHARS {
        return Err(ContentError::InvalidLanguage);
    }
    Ok(language.to_owned())
}

/// Checks a price by the one rule of money ([`Money::check`]): a known
/// ISO 4217 currency, at most [`Money::MAX_MINOR_UNITS`].
pub(crate) fn price(price: &Money) -> Result<Money, ContentError> {
    price.check().map_err(ContentError::PriceOutOfRange)?;
    Ok(price.clone())
}

/// Checks a rating.
pub(crate) fn stars(stars: u8) -> Result<u8, ContentError> {
    if (MIN_STARS..=MAX_STARS).contains(&stars) {
        Ok(stars)
    } else {
        Err(ContentError::StarsOutOfRange(stars))
    }
}

/// Trims and checks a review.
pub(crate) fn review(text: &str) -> Result<String, ContentError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ContentError::EmptyReview);
    }
    if text.chars().count() > MAX_REVIEW_CHARS {
        return Err(ContentError::ReviewTooLong);
    }
    Ok(text.to_owned())
}

/// Trims and checks a comment.
pub(crate) fn comment(text: &str) -> Result<String, ContentError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ContentError::EmptyComment);
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(ContentError::CommentTooLong);
    }
    Ok(text.to_owned())
}

/// Trims and checks a check-in note; a blank note is no note.
pub(crate) fn note(note: Option<&str>) -> Result<Option<String>, ContentError> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > MAX_CHECK_IN_NOTE_CHARS {
        return Err(ContentError::NoteTooLong);
    }
    Ok(Some(note.to_owned()))
}

/// Checks a client-chosen id (see [`valid_id`]); `what` names it in the
/// error.
pub(crate) fn id(id: &str, what: &'static str) -> Result<String, ContentError> {
    if valid_id(id) {
        Ok(id.to_owned())
    } else {
        Err(ContentError::InvalidId(what))
    }
}

#[cfg(test)]
mod tests {
    use agora_events::domain::money::MoneyError;

    use super::*;

    #[test]
    fn days_are_utc_days_since_the_epoch() {
        assert_eq!(day_of(Timestamp(0)), 0);
        assert_eq!(day_of(Timestamp(MICROS_PER_DAY - 1)), 0);
        assert_eq!(day_of(Timestamp(MICROS_PER_DAY)), 1);
        assert_eq!(day_of(Timestamp(-1)), 0);
    }

    #[test]
    fn language_tags_have_the_bcp47_shape() {
        for ok in ["en", "zh-CN", "zh-Hans-CN", " fr "] {
            assert!(language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en-", "en_US", "zh-CN-toolongsubtag"] {
            assert_eq!(language(bad), Err(ContentError::InvalidLanguage), "{bad}");
        }
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let given = [" rust ".to_owned(), "rust".to_owned(), "编程".to_owned()];
        assert_eq!(tags(&given), Ok(vec!["rust".to_owned(), "编程".to_owned()]));
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert_eq!(tags(&many), Err(ContentError::TooManyTags));
        assert_eq!(tags(&["x".repeat(41)]), Err(ContentError::TagTooLong));
        assert_eq!(tags(&["x".repeat(40)]).map(|t| t.len()), Ok(1));
        assert_eq!(tags(&[" ".to_owned()]), Err(ContentError::EmptyTag));
    }

    #[test]
    fn bodies_are_limited_in_bytes() {
        assert!(body(&Body::Text("x".repeat(MAX_BODY_BYTES))).is_ok());
        assert_eq!(
            body(&Body::Text("x".repeat(MAX_BODY_BYTES + 1))),
            Err(ContentError::BodyTooLarge)
        );
        let chapter = |title: &str| Chapter {
            title: title.into(),
            body: "text".into(),
        };
        assert_eq!(
            body(&Body::Chapters(vec![chapter(" Day 1 ")])),
            Ok(Body::Chapters(vec![chapter("Day 1")]))
        );
        assert_eq!(
            body(&Body::Chapters(vec![chapter(" ")])),
            Err(ContentError::EmptyChapterTitle)
        );
        assert!(!has_text(&Body::Text(" \n".into())));
        assert!(!has_text(&Body::Chapters(vec![])));
        assert!(has_text(&Body::Chapters(vec![chapter("a")])));
    }

    #[test]
    fn prices_need_a_known_currency_and_stay_under_the_ceiling() {
        let money = |amount_cents: u64, currency: &str| Money {
            amount_cents,
            currency: currency.into(),
        };
        assert!(price(&money(0, "CNY")).is_ok());
        assert!(price(&money(Money::MAX_MINOR_UNITS, "JPY")).is_ok());
        for bad in ["cny", "CN", "CNYY", "C1Y", "", "XYZ"] {
            assert_eq!(
                price(&money(0, bad)),
                Err(ContentError::PriceOutOfRange(MoneyError::UnknownCurrency(
                    bad.into()
                ))),
                "{bad}"
            );
        }
        assert_eq!(
            price(&money(u64::MAX, "CNY")),
            Err(ContentError::PriceOutOfRange(MoneyError::AboveCeiling {
                amount: u64::MAX
            }))
        );
    }
}
