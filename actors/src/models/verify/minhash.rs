//! MinHash over character shingles: a language-agnostic fingerprint of a
//! text whose agreement with another text's estimates the Jaccard
//! similarity of their shingle sets. Shingles are runs of
//! [`SHINGLE_CHARS`] characters of the normalised text (lowercase, every
//! run of whitespace and punctuation one space), so a copy is caught in
//! Chinese (no spaces between words) as well as in English.

use serde::{Deserialize, Serialize};

/// Characters per shingle.
pub const SHINGLE_CHARS: usize = 5;
/// Hash functions per signature (the estimate's standard error is about
/// `1 / sqrt(SIGNATURE_LEN)`, 0.09).
pub const SIGNATURE_LEN: usize = 128;

/// The MinHash signature of a text: for each of [`SIGNATURE_LEN`] hash
/// functions, the smallest hash over the text's shingles. Empty for a text
/// with no shingle (shorter than [`SHINGLE_CHARS`] after normalising).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature(Vec<u64>);

impl Signature {
    /// The signature of `text`. Deterministic: the same text gives the same
    /// signature on every machine and build.
    pub fn of(text: &str) -> Self {
        let chars = normalize(text);
        if chars.len() < SHINGLE_CHARS {
            return Signature(Vec::new());
        }
        let mut mins = vec![u64::MAX; SIGNATURE_LEN];
        let params = permutations();
        for window in chars.windows(SHINGLE_CHARS) {
            let h = fnv1a(window);
            for (min, (a, b)) in mins.iter_mut().zip(params.iter()) {
                let v = a.wrapping_mul(h).wrapping_add(*b);
                if v < *min {
                    *min = v;
                }
            }
        }
        Signature(mins)
    }

    /// True when the text had no shingle.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Estimated Jaccard similarity of the two texts' shingle sets, in
    /// [0, 1]; 0 when either is empty.
    pub fn similarity(&self, other: &Signature) -> f32 {
        if self.0.is_empty() || self.0.len() != other.0.len() {
            return 0.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f32 / self.0.len() as f32
    }
}

/// Lowercase characters with each run of whitespace or punctuation folded
/// to one space, trimmed.
fn normalize(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() || c.is_ascii_punctuation() || is_cjk_punctuation(c) {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(' ');
                gap = false;
            }
            out.push(c);
        }
    }
    out
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20)
}

fn fnv1a(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in (*c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The `(a, b)` of each hash function `a * h + b` (a odd), from splitmix64
/// with a fixed seed.
fn permutations() -> &'static [(u64, u64)] {
    static PARAMS: std::sync::OnceLock<Vec<(u64, u64)>> = std::sync::OnceLock::new();
    PARAMS.get_or_init(|| {
        let mut state: u64 = 0x5eed_a60a_0000_0001;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (0..SIGNATURE_LEN).map(|_| (next() | 1, next())).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = "Ownership is Rust's most unique feature and has deep implications \
                      for the rest of the language. It enables memory safety guarantees \
                      without needing a garbage collector.";
    const ZH: &str = "所有权是Rust最独特的功能，对语言的其他部分有着深远的影响。\
                      它使Rust无需垃圾回收器即可保证内存安全。";

    #[test]
    fn a_copy_is_identical_and_unrelated_text_is_far() {
        assert_eq!(Signature::of(EN).similarity(&Signature::of(EN)), 1.0);
        assert!(Signature::of(EN).similarity(&Signature::of(ZH)) < 0.05);
    }

    #[test]
    fn a_near_copy_scores_high_in_english_and_chinese() {
        let en = EN.replace("deep", "profound").to_uppercase();
        let near = Signature::of(EN).similarity(&Signature::of(&en));
        assert!(near > 0.6, "{near}");
        let zh = ZH.replace("深远", "很大");
        let near = Signature::of(ZH).similarity(&Signature::of(&zh));
        assert!(near > 0.6, "{near}");
    }

    #[test]
    fn punctuation_and_spacing_do_not_matter() {
        let a = Signature::of("Hello,   world! How are you?");
        let b = Signature::of("hello world how are you");
        assert_eq!(a.similarity(&b), 1.0);
    }

    #[test]
    fn short_texts_have_empty_signatures() {
        assert!(Signature::of("abc").is_empty());
        assert_eq!(Signature::of("abc").similarity(&Signature::of("abc")), 0.0);
    }
}
