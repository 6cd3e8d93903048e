//! Field rules of a vendor profile: the limits, and the checks that turn
//! what a vendor sends into what the event records.

use agora_events::domain::money::Money;

use super::VendorError;
use crate::ids::valid_id;

/// Most skill tags on a profile (also on a requirement).
pub const MAX_SKILLS: usize = 30;
/// Longest skill tag, in characters after trimming.
pub const MAX_TAG_CHARS: usize = 40;
/// Largest team.
pub const MAX_TEAM_SIZE: u32 = 100_000;
/// Largest capacity (most concurrent contracts).
pub const MAX_CAPACITY: u32 = 100;
/// Longest portfolio text, in characters.
pub const MAX_PORTFOLIO_CHARS: usize = 20_000;
/// Most working languages.
pub const MAX_LANGUAGES: usize = 20;
/// Shortest working-language tag, in characters.
pub const MIN_LANGUAGE_CHARS: usize = 2;
/// Longest working-language tag, in characters.
pub const MAX_LANGUAGE_CHARS: usize = 16;
/// Most content items listed on a profile.
pub const MAX_CONTENT_IDS: usize = 100;

fn invalid(message: impl Into<String>) -> VendorError {
    VendorError::Invalid(message.into())
}

/// Trims, lowercases, deduplicates and sorts tags (`what` names them in
/// errors): each 1 to [`MAX_TAG_CHARS`] characters without control
/// characters, at most `max` of them.
pub(crate) fn normal_tags(tags: &[String], max: usize, what: &str) -> Result<Vec<String>, String> {
    if tags.len() > max {
        return Err(format!("at most {max} {what}s, got {}", tags.len()));
    }
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() {
            return Err(format!("a {what} is empty"));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(format!(
                "a {what} is longer than {MAX_TAG_CHARS} characters"
            ));
        }
        if tag.chars().any(char::is_control) {
            return Err(format!("a {what} contains a control character"));
        }
        out.push(tag);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub(super) fn tags(tags: &[String], max: usize, what: &str) -> Result<Vec<String>, VendorError> {
    normal_tags(tags, max, what).map_err(invalid)
}

pub(super) fn team_size(size: u32) -> Result<u32, VendorError> {
    if (1..=MAX_TEAM_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err(invalid(format!(
            "team_size must be 1 to {MAX_TEAM_SIZE}, got {size}"
        )))
    }
}

pub(super) fn capacity(capacity: u32) -> Result<u32, VendorError> {
    if (1..=MAX_CAPACITY).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(invalid(format!(
            "capacity must be 1 to {MAX_CAPACITY}, got {capacity}"
        )))
    }
}

pub(super) fn rate(rate: &Money) -> Result<Money, VendorError> {
    rate.check().map_err(VendorError::RateOutOfRange)?;
    Ok(rate.clone())
}

pub(super) fn portfolio(text: &str) -> Result<String, VendorError> {
    let text = text.trim();
    if text.chars().count() > MAX_PORTFOLIO_CHARS {
        return Err(invalid(format!(
            "the portfolio is longer than {MAX_PORTFOLIO_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

/// Language tags: [`MIN_LANGUAGE_CHARS`] to [`MAX_LANGUAGE_CHARS`]
/// characters of letters, digits and `-`.
pub(super) fn languages(languages: &[String]) -> Result<Vec<String>, VendorError> {
    let tags = tags(languages, MAX_LANGUAGES, "language")?;
    for tag in &tags {
        let well_formed = (MIN_LANGUAGE_CHARS..=MAX_LANGUAGE_CHARS).contains(&tag.len())
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !well_formed {
            return Err(invalid(format!(
                "{tag:?} is not a language tag like en or zh-cn"
            )));
        }
    }
    Ok(tags)
}

pub(super) fn content_ids(ids: &[String]) -> Result<Vec<String>, VendorError> {
    if ids.len() > MAX_CONTENT_IDS {
        return Err(invalid(format!("at most {MAX_CONTENT_IDS} content ids")));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !valid_id(id) {
            return Err(invalid(format!("{id:?} is not a content id")));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_bounded() {
        let tags = normal_tags(
            &[" Rust ".into(), "rust".into(), "机器学习".into()],
            5,
            "skill",
        );
        assert_eq!(tags, Ok(vec!["rust".to_owned(), "机器学习".to_owned()]));
        assert!(normal_tags(&["".into()], 5, "skill").is_err());
        assert!(normal_tags(&["x".repeat(MAX_TAG_CHARS + 1)], 5, "skill").is_err());
        assert!(normal_tags(&vec!["a".into(); 6], 5, "skill").is_err());
        assert!(normal_tags(&["a\u{7}".into()], 5, "skill").is_err());
    }

    #[test]
    fn numbers_and_languages_are_checked() {
        assert!(capacity(0).is_err());
        assert_eq!(capacity(MAX_CAPACITY), Ok(MAX_CAPACITY));
        assert!(capacity(MAX_CAPACITY + 1).is_err());
        assert!(team_size(0).is_err());
        assert_eq!(
            languages(&["ZH-cn".into(), "en".into()]),
            Ok(vec!["en".to_owned(), "zh-cn".to_owned()])
        );
        assert!(languages(&["e".into()]).is_err());
        assert!(languages(&["中文".into()]).is_err());
        assert!(content_ids(&["a b".into()]).is_err());
        assert_eq!(
            content_ids(&["a".into(), "a".into()]),
            Ok(vec!["a".to_owned()])
        );
    }
}
