//! Field rules of a contract: the limits, and the checks that turn a
//! caller's value into the normalised value an event records.

use agora_events::domain::contract::MilestoneTerms;
use agora_events::domain::money::Money;

use super::ContractError;

/// Most milestones one contract may have.
pub const MAX_MILESTONES: usize = 50;
/// Longest milestone title, in characters after trimming.
pub const MAX_TITLE_CHARS: usize = 200;
/// Latest due day of a milestone, in days after opening (about ten years).
pub const MAX_DUE_DAY: u32 = 3660;
/// Longest note, reason or resolution text, in characters after trimming.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest review text, in characters after trimming.
pub const MAX_REVIEW_CHARS: usize = 4_000;
/// Lowest review score.
pub const MIN_SCORE: u8 = 1;
/// Highest review score.
pub const MAX_SCORE: u8 = 5;

/// Checks an award's price and milestones: a valid price, 1 to
/// [`MAX_MILESTONES`] milestones with trimmed titles, amounts of at least 1
/// adding up to the price exactly (checked), due days up to
/// [`MAX_DUE_DAY`]. Returns the normalised milestones.
pub(super) fn terms(
    price: &Money,
    milestones: &[MilestoneTerms],
) -> Result<Vec<MilestoneTerms>, ContractError> {
    price.check().map_err(ContractError::PriceOutOfRange)?;
    let invalid = |why: String| Err(ContractError::InvalidTerms(why));
    if milestones.is_empty() {
        return invalid("a contract needs at least one milestone".into());
    }
    if milestones.len() > MAX_MILESTONES {
        return invalid(format!("at most {MAX_MILESTONES} milestones"));
    }
    let mut sum: u64 = 0;
    let mut normalised = Vec::with_capacity(milestones.len());
    for (i, m) in milestones.iter().enumerate() {
        let title = m.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return invalid(format!(
                "milestone {i}: the title must be 1 to {MAX_TITLE_CHARS} characters"
            ));
        }
        if title.chars().any(char::is_control) {
            return invalid(format!("milestone {i}: the title has a control character"));
        }
        if m.amount_cents == 0 {
            return invalid(format!("milestone {i}: the amount must be at least 1"));
        }
        if m.due_day > MAX_DUE_DAY {
            return invalid(format!(
                "milestone {i}: the due day must be at most {MAX_DUE_DAY}"
            ));
        }
        sum = match sum.checked_add(m.amount_cents) {
            Some(sum) => sum,
            None => return invalid("the milestone amounts overflow".into()),
        };
        normalised.push(MilestoneTerms {
            title: title.to_owned(),
            amount_cents: m.amount_cents,
            due_day: m.due_day,
        });
    }
    if sum != price.amount_cents {
        return invalid(format!(
            "the milestones add up to {sum}, the price is {}",
            price.amount_cents
        ));
    }
    Ok(normalised)
}

/// Trims a free text (note, reason, review) and checks it: at most `max`
/// characters, no control characters but newlines and tabs.
pub(super) fn text(what: &str, text: &str, max: usize) -> Result<String, ContractError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(ContractError::InvalidText(format!(
            "the {what} is longer than {max} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ContractError::InvalidText(format!(
            "the {what} contains a control character"
        )));
    }
    Ok(text.to_owned())
}

/// Checks one review score.
pub(super) fn score(field: &'static str, score: u8) -> Result<u8, ContractError> {
    if (MIN_SCORE..=MAX_SCORE).contains(&score) {
        Ok(score)
    } else {
        Err(ContractError::ScoreOutOfRange { field, score })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    fn milestone(amount_cents: u64) -> MilestoneTerms {
        MilestoneTerms {
            title: " Design ".into(),
            amount_cents,
            due_day: 10,
        }
    }

    #[test]
    fn milestones_must_add_up_to_the_price() {
        let ok = terms(&cny(300), &[milestone(100), milestone(200)]);
        assert_eq!(ok.map(|m| m[0].title.clone()), Ok("Design".to_owned()));
        assert!(matches!(
            terms(&cny(301), &[milestone(100), milestone(200)]),
            Err(ContractError::InvalidTerms(_))
        ));
        assert!(matches!(
            terms(&cny(0), &[]),
            Err(ContractError::InvalidTerms(_))
        ));
        assert!(matches!(
            terms(&cny(100), &[milestone(100), milestone(0)]),
            Err(ContractError::InvalidTerms(_))
        ));
        // Amounts that overflow a u64 are refused, never wrapped.
        assert!(matches!(
            terms(&cny(5), &[milestone(u64::MAX), milestone(6)]),
            Err(ContractError::PriceOutOfRange(_)) | Err(ContractError::InvalidTerms(_))
        ));
        let too_many = vec![milestone(1); MAX_MILESTONES + 1];
        assert!(terms(&cny(too_many.len() as u64), &too_many).is_err());
        assert!(matches!(
            terms(
                &cny(Money::MAX_MINOR_UNITS + 1),
                &[milestone(Money::MAX_MINOR_UNITS + 1)]
            ),
            Err(ContractError::PriceOutOfRange(_))
        ));
    }

    #[test]
    fn texts_and_scores_are_bounded() {
        assert_eq!(text("note", "  a\nb ", 10), Ok("a\nb".to_owned()));
        assert!(text("note", "x".repeat(11).as_str(), 10).is_err());
        assert!(text("note", "a\u{7}b", 10).is_err());
        assert_eq!(score("quality", 1), Ok(1));
        assert_eq!(score("quality", 5), Ok(5));
        assert!(score("quality", 0).is_err());
        assert!(score("quality", 6).is_err());
    }
}
