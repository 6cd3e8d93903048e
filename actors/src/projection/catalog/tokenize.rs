//! The search tokenizer: words for alphabetic scripts, character unigrams
//! and bigrams for CJK.
//!
//! Latin (and other non-CJK) text is split on anything that is not a letter
//! or digit and lowercased. Chinese, Japanese and Korean text has no spaces,
//! so every run of CJK characters is indexed as its single characters and
//! its overlapping pairs (`编程语言` → `编`, `程`, `语`, `言`, `编程`, `程语`,
//! `语言`). A query uses the pairs of each run (or the single character of a
//! one-character run), so `语言` finds `编程语言` and `书` finds `读书`.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name the search index registers [`MixedTokenizer`] under.
pub(super) const TOKENIZER: &str = "agora_mixed";

/// Whether `c` is written without spaces between words (CJK ideographs,
/// kana, hangul).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F  // CJK extensions B–F, compatibility supplement
    )
}

/// One piece of text as the tokenizer sees it.
#[derive(Debug, PartialEq, Eq)]
enum Run<'a> {
    /// A lowercased word of a spaced script, with its byte span.
    Word(String, usize, usize),
    /// A run of CJK characters with their byte offsets.
    Cjk(Vec<(usize, &'a str)>),
}

/// Splits `text` into words and CJK runs, in order.
fn runs(text: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if is_cjk(c) {
            let mut run = vec![(start, &text[start..start + c.len_utf8()])];
            while let Some(&(at, next)) = chars.peek() {
                if !is_cjk(next) {
                    break;
                }
                run.push((at, &text[at..at + next.len_utf8()]));
                chars.next();
            }
            out.push(Run::Cjk(run));
        } else if c.is_alphanumeric() {
            let mut end = start + c.len_utf8();
            while let Some(&(at, next)) = chars.peek() {
                if !next.is_alphanumeric() || is_cjk(next) {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
            out.push(Run::Word(text[start..end].to_lowercase(), start, end));
        }
    }
    out
}

/// The tokens indexed for `text`: words, and CJK unigrams and bigrams.
pub(super) fn index_tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut push = |text: String, from: usize, to: usize| {
        let position = tokens.len();
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text,
            position_length: 1,
        });
    };
    for run in runs(text) {
        match run {
            Run::Word(word, from, to) => push(word, from, to),
            Run::Cjk(chars) => {
                for (i, &(at, c)) in chars.iter().enumerate() {
                    push(c.to_owned(), at, at + c.len());
                    if let Some(&(next_at, next)) = chars.get(i + 1) {
                        push(format!("{c}{next}"), at, next_at + next.len());
                    }
                }
            }
        }
    }
    tokens
}

/// The terms a query for `text` must all match: words, and the bigrams of
/// each CJK run (its character when it has one). Repeats are dropped.
pub(super) fn query_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut push = |term: String| {
        if !terms.contains(&term) {
            terms.push(term);
        }
    };
    for run in runs(text) {
        match run {
            Run::Word(word, _, _) => push(word),
            Run::Cjk(chars) if chars.len() == 1 => push(chars[0].1.to_owned()),
            Run::Cjk(chars) => {
                for pair in chars.windows(2) {
                    push(format!("{}{}", pair[0].1, pair[1].1));
                }
            }
        }
    }
    terms
}

/// The query's last word when the text ends with a word of a spaced
/// script (not with a CJK run, whose bigrams already match inside words):
/// the word a search box user may still be typing, which the search also
/// matches as a prefix.
pub(super) fn last_word(text: &str) -> Option<String> {
    match runs(text).pop()? {
        Run::Word(word, _, _) => Some(word),
        Run::Cjk(_) => None,
    }
}

/// The tantivy tokenizer over [`index_tokens`].
#[derive(Clone, Debug, Default)]
pub(super) struct MixedTokenizer;

/// The tokens of one text, handed out one by one.
pub(super) struct MixedTokenStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = MixedTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MixedTokenStream {
        MixedTokenStream {
            tokens: index_tokens(text),
            next: 0,
            current: Token::default(),
        }
    }
}

impl TokenStream for MixedTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn latin_words_are_lowercased_and_split_on_punctuation() {
        let tokens = index_tokens("Rust: Async, ACTORS!");
        assert_eq!(texts(&tokens), ["rust", "async", "actors"]);
        assert_eq!((tokens[1].offset_from, tokens[1].offset_to), (6, 11));
        assert_eq!(query_terms("rust RUST actors"), ["rust", "actors"]);
    }

    #[test]
    fn chinese_runs_give_unigrams_and_bigrams() {
        let tokens = index_tokens("学Rust编程语言");
        assert_eq!(
            texts(&tokens),
            ["学", "rust", "编", "编程", "程", "程语", "语", "语言", "言"]
        );
        assert_eq!(query_terms("编程语言"), ["编程", "程语", "语言"]);
        assert_eq!(query_terms("书"), ["书"]);
        assert_eq!(query_terms("  ,, "), Vec::<String>::new());
    }

    #[test]
    fn the_last_word_is_the_last_run_of_a_spaced_script() {
        assert_eq!(last_word("rust Postgres!").as_deref(), Some("postgres"));
        assert_eq!(last_word("学习 PostgreSQL").as_deref(), Some("postgresql"));
        assert_eq!(last_word("postgres 数据库"), None);
        assert_eq!(last_word(" ,, "), None);
    }

    #[test]
    fn the_stream_yields_every_token_in_order() {
        let mut tokenizer = MixedTokenizer;
        let mut stream = tokenizer.token_stream("日本語 text");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(stream.token().text.clone());
        }
        assert_eq!(seen, ["日", "日本", "本", "本語", "語", "text"]);
    }
}
