//! OCR with tesseract: English, Simplified Chinese or both.
//!
//! A tesseract instance is `Send` but not `Sync` and takes 0.2–1 s to
//! initialise, so each worker owns an [`OcrEngine`] that keeps one instance
//! per language and reuses it. `set_image`/`recognize` consume the instance:
//! when one fails, the instance is dropped and re-created on the next job.

use std::collections::HashMap;
use std::path::PathBuf;

use tesseract::Tesseract;

use super::ModelError;
use super::image_size::{DEFAULT_MAX_IMAGE_PIXELS, check_pixels};

/// Which language data tesseract uses.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OcrLanguage {
    /// English (`eng`).
    Eng,
    /// Simplified Chinese (`chi_sim`).
    ChiSim,
    /// Both (`chi_sim+eng`): mixed Chinese and English pages.
    Both,
}

impl OcrLanguage {
    /// tesseract's language string.
    pub fn code(self) -> &'static str {
        match self {
            OcrLanguage::Eng => "eng",
            OcrLanguage::ChiSim => "chi_sim",
            OcrLanguage::Both => "chi_sim+eng",
        }
    }
}

/// Where tesseract finds its language data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OcrConfig {
    /// The `tessdata` directory; `None` uses tesseract's default
    /// (`TESSDATA_PREFIX`, or `/usr/share/tesseract-ocr/5/tessdata` on
    /// Debian).
    pub datapath: Option<PathBuf>,
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct OcrWord {
    /// The word as tesseract read it (normalised like the page text).
    pub text: String,
    /// tesseract's confidence, 0–100.
    pub confidence: f32,
    /// Bounding box: left, top, width, height in pixels.
    pub bbox: [u32; 4],
}

/// The text of one image.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct OcrPage {
    /// The recognised text, normalised with [`normalize_ocr_text`].
    pub text: String,
    /// Every word with its confidence, in reading order.
    pub words: Vec<OcrWord>,
    /// Mean word confidence (0–100; 0 when no word was found).
    pub mean_confidence: f32,
}

/// One worker's tesseract instances (one per language, created on first
/// use). `Send`, not `Sync`.
pub struct OcrEngine {
    config: OcrConfig,
    instances: HashMap<OcrLanguage, Tesseract>,
    /// Most pixels (width × height, from the header) of an image read.
    max_pixels: u64,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine")
            .field("config", &self.config)
            .field("languages", &self.instances.keys().collect::<Vec<_>>())
            .field("max_pixels", &self.max_pixels)
            .finish()
    }
}

impl OcrEngine {
    /// An engine that creates its instances lazily and reads images of at
    /// most [`DEFAULT_MAX_IMAGE_PIXELS`].
    pub fn new(config: OcrConfig) -> Self {
        OcrEngine {
            config,
            instances: HashMap::new(),
            max_pixels: DEFAULT_MAX_IMAGE_PIXELS,
        }
    }

    /// The engine reading images of at most `max_pixels` (width × height).
    pub fn with_max_pixels(mut self, max_pixels: u64) -> Self {
        self.max_pixels = max_pixels;
        self
    }

    /// Initialises the instance for `language` now (so the first job does not
    /// pay for it).
    pub fn warm_up(&mut self, language: OcrLanguage) -> Result<(), ModelError> {
        if !self.instances.contains_key(&language) {
            let api = self.create(language)?;
            self.instances.insert(language, api);
        }
        Ok(())
    }

    fn create(&self, language: OcrLanguage) -> Result<Tesseract, ModelError> {
        let datapath = match &self.config.datapath {
            Some(p) => Some(
                p.to_str()
                    .ok_or_else(|| ModelError::Ocr(format!("tessdata path {p:?} is not UTF-8")))?,
            ),
            None => None,
        };
        Tesseract::new(datapath, Some(language.code())).map_err(|e| {
            ModelError::Ocr(format!(
                "cannot initialise tesseract ({}): {e}",
                language.code()
            ))
        })
    }

    /// Recognises the text of an encoded image (PNG, JPEG, TIFF, GIF, BMP,
    /// PNM or WebP, see [`image_size`](super::image_size)). Its size is read
    /// from its header first: more pixels than the engine's limit is
    /// [`ModelError::ImageTooLarge`], without decoding; an image whose
    /// header does not tell its size, or that leptonica cannot read, is
    /// [`ModelError::InvalidInput`].
    pub fn recognize(
        &mut self,
        image: &[u8],
        language: OcrLanguage,
    ) -> Result<OcrPage, ModelError> {
        if image.is_empty() {
            return Err(ModelError::InvalidInput("empty image".into()));
        }
        check_pixels(image, self.max_pixels)?;
        let api = match self.instances.remove(&language) {
            Some(api) => api,
            None => self.create(language)?,
        };
        // From here on an error drops `api`; the next job creates a new one.
        let api = api
            .set_image_from_mem(image)
            .map_err(|e| ModelError::InvalidInput(format!("unreadable image: {e}")))?;
        let mut api = api
            .recognize()
            .map_err(|e| ModelError::Ocr(e.to_string()))?;
        let raw = api.get_text().map_err(|e| ModelError::Ocr(e.to_string()))?;
        let tsv = api
            .get_tsv_text(0)
            .map_err(|e| ModelError::Ocr(e.to_string()))?;
        self.instances.insert(language, api);
        let words = parse_tsv_words(&tsv);
        let mean_confidence = if words.is_empty() {
            0.0
        } else {
            words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
        };
        Ok(OcrPage {
            text: normalize_ocr_text(&raw),
            words,
            mean_confidence,
        })
    }
}

/// The words (level 5 rows) of tesseract's TSV output.
pub fn parse_tsv_words(tsv: &str) -> Vec<OcrWord> {
    tsv.lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 12 || cols[0] != "5" {
                return None;
            }
            let num = |i: usize| cols[i].trim().parse::<u32>().ok();
            let confidence = cols[10].trim().parse::<f32>().ok()?;
            let text = normalize_ocr_text(cols[11]);
            if confidence < 0.0 || text.is_empty() {
                return None;
            }
            Some(OcrWord {
                text,
                confidence,
                bbox: [num(6)?, num(7)?, num(8)?, num(9)?],
            })
        })
        .collect()
}

/// Normalises OCR output: full-width ASCII forms (digits, letters,
/// punctuation, U+FF01–U+FF5E) and the ideographic space become their ASCII
/// counterparts, spaces between two CJK characters are removed, other runs
/// of spaces collapse to one, lines are trimmed, and blank lines collapse
/// (none at the start or end).
pub fn normalize_ocr_text(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().map(fold_width).collect();
        let mut out = String::with_capacity(line.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' || c == '\t' {
                let start = i;
                while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                    i += 1;
                }
                let before = start.checked_sub(1).map(|j| chars[j]);
                let after = chars.get(i).copied();
                match (before, after) {
                    (Some(b), Some(a)) if is_cjk(b) && is_cjk(a) => {}
                    (Some(_), Some(_)) => out.push(' '),
                    _ => {}
                }
                continue;
            }
            out.push(c);
            i += 1;
        }
        let blank = out.is_empty();
        if blank && lines.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        lines.push(out);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Character error rate of `hypothesis` against `reference`: Levenshtein
/// edit distance over characters divided by the reference's length, with
/// whitespace ignored on both sides (so word spacing does not count). 0 means
/// identical; it can exceed 1 when the hypothesis is much longer.
pub fn character_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let r: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let h: Vec<char> = hypothesis.chars().filter(|c| !c.is_whitespace()).collect();
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rc) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hc) in h.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(rc != hc))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}

/// True for Han ideographs, kana and CJK punctuation — characters written
/// without spaces between them.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3001..=0x303F   // CJK symbols and punctuation
        | 0x3040..=0x30FF // hiragana, katakana
        | 0x3400..=0x4DBF // extension A
        | 0x4E00..=0x9FFF // unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFF00..=0xFFEF // remaining half/full-width forms
        | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_error_rate_counts_edits_and_ignores_spaces() {
        assert_eq!(character_error_rate("a b c d", "abcd"), 0.0);
        assert_eq!(character_error_rate("abcd", "abxd"), 0.25);
        assert_eq!(character_error_rate("内容审核", "内容审"), 0.25);
        assert_eq!(character_error_rate("ab", ""), 1.0);
    }

    #[test]
    fn full_width_forms_become_ascii() {
        assert_eq!(
            normalize_ocr_text("电话：１２３４５，好！"),
            "电话:12345,好!"
        );
    }

    #[test]
    fn spaces_between_cjk_are_removed_but_not_between_words() {
        assert_eq!(
            normalize_ocr_text("内 容  审核 系统 runs  on AI 模 型"),
            "内容审核系统 runs on AI 模型"
        );
    }

    #[test]
    fn blank_lines_collapse_and_edges_are_trimmed() {
        assert_eq!(normalize_ocr_text("\n\n  a  b \n\n\n c\n\n"), "a b\n\nc");
    }

    #[test]
    fn tsv_words_keep_confidence_and_skip_layout_rows() {
        let tsv = "1\t1\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t96.5\tHello\n\
                   5\t1\t1\t1\t1\t2\t50\t20\t30\t40\t88\t１２\n";
        let words = parse_tsv_words(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(
            words[0],
            OcrWord {
                text: "Hello".into(),
                confidence: 96.5,
                bbox: [10, 20, 30, 40]
            }
        );
        assert_eq!(words[1].text, "12");
    }
}
