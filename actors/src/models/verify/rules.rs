//! Rule checks of a text, without models: required sections, length,
//! banned terms, contact information (phone numbers, e-mail addresses,
//! WeChat ids) and consistency with the declared language. Each broken rule
//! is a [`Finding`] with the penalty it costs.

use agora_events::domain::content::{Body, ContentKind};
use agora_events::domain::content_models::{Finding, FindingKind};

use crate::models::ocr::is_cjk;

/// The rules' settings. Every number is a named setting with a default.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    /// Fewest characters of body text (whitespace excluded). Default 200.
    pub min_body_chars: usize,
    /// Most characters of body text. Default 200 000.
    pub max_body_chars: usize,
    /// Fewest chapters of a course. Default 2.
    pub min_course_chapters: usize,
    /// Terms that may not appear (matched case-insensitively).
    pub banned_terms: Vec<String>,
    /// Penalty of a missing section. Default 0.15.
    pub missing_section_penalty: f32,
    /// Penalty of a text too short or too long. Default 0.2.
    pub length_penalty: f32,
    /// Penalty of each banned term found. Default 0.3.
    pub banned_term_penalty: f32,
    /// Penalty of each piece of contact information. Default 0.25.
    pub contact_penalty: f32,
    /// Penalty of a text not in its declared language. Default 0.2.
    pub language_penalty: f32,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            min_body_chars: 200,
            max_body_chars: 200_000,
            min_course_chapters: 2,
            banned_terms: [
                "guaranteed income",
                "get rich quick",
                "exam answers for sale",
                "刷单",
                "代考",
                "包过",
            ]
            .map(str::to_owned)
            .to_vec(),
            missing_section_penalty: 0.15,
            length_penalty: 0.2,
            banned_term_penalty: 0.3,
            contact_penalty: 0.25,
            language_penalty: 0.2,
        }
    }
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    /// The item's kind.
    pub kind: ContentKind,
    /// Its declared language tag (`en`, `zh-CN`, …).
    pub language: &'a str,
    /// Its summary.
    pub summary: &'a str,
    /// Its body.
    pub body: &'a Body,
    /// All its text (title, summary, body, and text read from its images).
    pub text: &'a str,
}

/// Every rule `input` breaks, in a fixed order (sections, length, banned
/// terms, contact information, language).
pub fn check(input: &RuleInput<'_>, settings: &RuleSettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    sections(input, settings, &mut findings);
    length(input, settings, &mut findings);
    banned_terms(input.text, settings, &mut findings);
    for (what, masked) in contacts(input.text) {
        findings.push(finding(
            FindingKind::ContactLeak,
            format!("the text shows {what}: remove contact information (buyers contact you through the platform)"),
            settings.contact_penalty,
            Some(masked),
        ));
    }
    language(input, settings, &mut findings);
    findings
}

fn finding(kind: FindingKind, message: String, penalty: f32, evidence: Option<String>) -> Finding {
    Finding {
        kind,
        message,
        penalty,
        evidence,
    }
}

fn sections(input: &RuleInput<'_>, settings: &RuleSettings, out: &mut Vec<Finding>) {
    if input.summary.trim().is_empty() {
        out.push(finding(
            FindingKind::MissingSection,
            "add a summary: buyers read it before they buy".into(),
            settings.missing_section_penalty,
            Some("summary".into()),
        ));
    }
    if input.kind == ContentKind::Course {
        let chapters = match input.body {
            Body::Chapters(c) => c.iter().filter(|c| !c.body.trim().is_empty()).count(),
            Body::Text(_) => 0,
        };
        if chapters < settings.min_course_chapters {
            out.push(finding(
                FindingKind::MissingSection,
                format!(
                    "a course needs at least {} chapters with text ({chapters} found)",
                    settings.min_course_chapters
                ),
                settings.missing_section_penalty,
                Some("chapters".into()),
            ));
        }
    }
}

fn body_chars(body: &Body) -> usize {
    let count = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
    match body {
        Body::Text(t) => count(t),
        Body::Chapters(c) => c.iter().map(|c| count(&c.body)).sum(),
    }
}

fn length(input: &RuleInput<'_>, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let chars = body_chars(input.body);
    let message = if chars < settings.min_body_chars {
        format!(
            "the body has {chars} characters; write at least {}",
            settings.min_body_chars
        )
    } else if chars > settings.max_body_chars {
        format!(
            "the body has {chars} characters; split it (at most {})",
            settings.max_body_chars
        )
    } else {
        return;
    };
    out.push(finding(
        FindingKind::Length,
        message,
        settings.length_penalty,
        Some(chars.to_string()),
    ));
}

fn banned_terms(text: &str, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let lower = text.to_lowercase();
    for term in &settings.banned_terms {
        let term = term.to_lowercase();
        if !term.is_empty() && lower.contains(&term) {
            out.push(finding(
                FindingKind::BannedTerm,
                format!("remove the banned term {term:?}"),
                settings.banned_term_penalty,
                Some(term),
            ));
        }
    }
}

/// Contact information in `text`: what it is and a masked copy, at most one
/// finding per distinct value.
pub fn contacts(text: &str) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    let mut push = |what: &'static str, masked: String| {
        if !found.iter().any(|(_, m)| *m == masked) {
            found.push((what, masked));
        }
    };
    for email in emails(text) {
        push("an e-mail address", mask(&email));
    }
    for phone in phones(text) {
        push("a phone number", mask(&phone));
    }
    for id in wechat_ids(text) {
        push("a WeChat id", mask(&id));
    }
    found
}

/// Keeps the first two and last two characters.
fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..2].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.extend(&chars[chars.len() - 2..]);
    out
}

fn emails(text: &str) -> Vec<String> {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        let domain = domain.trim_end_matches('.');
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
        if start < at && tld_ok {
            let local: String = chars[start..at].iter().collect();
            out.push(format!("{local}@{domain}"));
        }
    }
    out
}

/// Runs of digits (allowing single spaces, dashes and a leading `+`
/// inside) that look like a phone number: a Chinese mobile number
/// (11 digits starting 1[3-9]) or 8 to 15 digits after a `+`.
fn phones(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
            continue;
        }
        let plus = chars[i] == '+';
        let preceded_by_alnum = i > 0 && chars[i - 1].is_ascii_alphanumeric();
        let mut digits = String::new();
        let mut j = if plus { i + 1 } else { i };
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits.push(c);
                j += 1;
            } else if (c == ' ' || c == '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let followed_by_alnum = chars.get(j).is_some_and(char::is_ascii_alphanumeric);
        let mobile = digits.len() == 11
            && digits.starts_with('1')
            && digits
                .as_bytes()
                .get(1)
                .is_some_and(|d| (b'3'..=b'9').contains(d));
        let international = plus && (8..=15).contains(&digits.len());
        if !preceded_by_alnum && !followed_by_alnum && (mobile || international) {
            out.push(if plus { format!("+{digits}") } else { digits });
        }
        i = j.max(i + 1);
    }
    out
}

/// Ids written after a WeChat marker (`微信`, `wechat`, `weixin`, `vx`,
/// `wx`, optionally followed by `号`, `id`, `:` or spaces): 6 to 20
/// characters, a letter first, then letters, digits, `_` or `-`.
fn wechat_ids(text: &str) -> Vec<String> {
    const MARKERS: [&str; 5] = ["微信", "wechat", "weixin", "vx", "wx"];
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for marker in MARKERS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(marker) {
            let start = from + pos;
            from = start + marker.len();
            // A latin marker must start a word (not "dvx" or "jswx").
            if marker.is_ascii()
                && lower[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let rest = lower[from..].trim_start_matches(|c: char| {
                c.is_whitespace() || c == ':' || c == '：' || c == '号' || c == '-'
            });
            let rest = rest
                .strip_prefix("id")
                .unwrap_or(rest)
                .trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '：');
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            let ok =
                (6..=20).contains(&id.len()) && id.starts_with(|c: char| c.is_ascii_alphabetic());
            if ok && !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Share of CJK characters among the letters of `text` (0 without letters).
fn cjk_share(text: &str) -> f32 {
    let (mut cjk, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        if is_cjk(c) && c.is_alphanumeric() {
            cjk += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters == 0 {
        0.0
    } else {
        cjk as f32 / letters as f32
    }
}

/// A Chinese (`zh*`) text must be at least 30 % CJK characters among its
/// letters (code and names in Latin letters are fine); an English (`en*`)
/// text at most 10 %. Other languages are not checked.
fn language(input: &RuleInput<'_>, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let share = cjk_share(input.text);
    let primary = input
        .language
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mismatch = match primary.as_str() {
        "zh" => share < 0.3,
        "en" => share > 0.1,
        _ => false,
    };
    if mismatch {
        out.push(finding(
            FindingKind::LanguageMismatch,
            format!(
                "the item is declared {:?} but {:.0}% of its letters are Chinese characters: fix the language or the text",
                input.language,
                share * 100.0
            ),
            settings.language_penalty,
            Some(input.language.to_owned()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use agora_events::domain::content::Chapter;

    use super::*;

    fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
        findings.iter().map(|f| f.kind).collect()
    }

    fn article(language: &str, text: &str) -> Vec<Finding> {
        let body = Body::Text(text.to_owned());
        check(
            &RuleInput {
                kind: ContentKind::Article,
                language,
                summary: "A summary",
                body: &body,
                text,
            },
            &RuleSettings::default(),
        )
    }

    const LONG_EN: &str = "Actors keep their state private and talk only through messages, \
        which makes concurrent programs easier to reason about. In this article we build a \
        small actor system step by step, starting from a mailbox and ending with supervision \
        trees that restart failed children.";

    #[test]
    fn a_clean_article_has_no_finding() {
        assert_eq!(article("en", LONG_EN), vec![]);
    }

    #[test]
    fn contact_information_is_found_and_masked() {
        let text = format!(
            "{LONG_EN} Write to zhang.wei@example.com or call 138-1234-5678, 微信号: rustfan_2024, +44 20 7946 0958."
        );
        let found = contacts(&text);
        let masked: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            masked,
            vec![
                "zh*****************om",
                "13*******78",
                "+4*********58",
                "ru********24"
            ]
        );
        assert_eq!(
            kinds(&article("en", &text)),
            vec![FindingKind::ContactLeak; 4]
        );
    }

    #[test]
    fn numbers_that_are_not_phones_are_not_flagged() {
        assert!(
            contacts("In 2024 we sold 12345678901234567 units; version 1.38.0; id abc13812345678")
                .is_empty()
        );
        assert!(contacts("see wxyz and the dvx format").is_empty());
    }

    #[test]
    fn short_texts_missing_sections_and_banned_terms_are_found() {
        let body = Body::Chapters(vec![Chapter {
            title: "Only one".into(),
            body: "刷单 is how you get guaranteed income".into(),
        }]);
        let findings = check(
            &RuleInput {
                kind: ContentKind::Course,
                language: "en",
                summary: " ",
                body: &body,
                text: "刷单 is how you get guaranteed income",
            },
            &RuleSettings::default(),
        );
        assert_eq!(
            kinds(&findings),
            vec![
                FindingKind::MissingSection,
                FindingKind::MissingSection,
                FindingKind::Length,
                FindingKind::BannedTerm,
                FindingKind::BannedTerm,
            ]
        );
    }

    #[test]
    fn the_declared_language_must_match_the_text() {
        let zh = "所有权是Rust最独特的功能，对语言的其他部分有着深远的影响。".repeat(8);
        assert_eq!(
            kinds(&article("en", &zh)),
            vec![FindingKind::LanguageMismatch]
        );
        assert_eq!(kinds(&article("zh-CN", &zh)), vec![]);
        assert_eq!(
            kinds(&article("zh-CN", LONG_EN)),
            vec![FindingKind::LanguageMismatch]
        );
        assert_eq!(kinds(&article("fr", &zh)), vec![]);
    }
}
