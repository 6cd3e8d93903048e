//! The verification pipeline: what `POST /v1/contents/{id}/verify` runs.
//!
//! 1. **OCR** of the item's images (PNG, JPEG, TIFF, or PDF; eng, chi_sim
//!    or both) on the model pool; the text read joins the item's text, and
//!    an image (or PDF page) read with low confidence is a finding. A PDF's
//!    pages are counted first (written once to a temporary file shared by
//!    its page jobs, then `pdfinfo`, on a blocking thread); one of more
//!    than [`VerifySettings::max_pdf_pages`] pages, or of none, is refused
//!    before any OCR job is queued; then each page is its own OCR job, so
//!    the pages spread over the workers. Every other image's width and
//!    height are read from its header first ([`image_size`](super::image_size)):
//!    one of more than [`PoolSettings::max_image_pixels`](super::pool::PoolSettings::max_image_pixels)
//!    pixels, or whose header does not tell, is refused before any job is
//!    queued (and before anything decodes it).
//! 2. **Rule checks** ([`rules`]) over all of that text.
//! 3. **Near duplicates** against the published catalog, from the
//!    [`NearDupProjection`]: MinHash over 5-character shingles
//!    ([`minhash`], catches copies in any language) and the cosine of
//!    `paraphrase-MiniLM-L3-v2` embeddings (catches English paraphrases).
//!    Search is exact; see the projection for where an ANN index would
//!    take over. Embeddings of published items are computed on the pool
//!    once and cached by content id and text hash ([`EmbeddingCache`]).
//! 4. **Score**: the product of `1 - penalty` over every finding, so it is
//!    1 with no finding, stays in [0, 1], and every finding that lowered it
//!    is reported.
//!
//! Every model call goes through the bounded pool: a full queue fails the
//! verification at once with [`VerifyError::Submit`] (503 + Retry-After).

pub mod minhash;
pub mod rules;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_events::domain::content::{Body, ContentKind};
use agora_events::domain::content_models::{Finding, FindingKind, ModelVersion};
use parking_lot::RwLock;

use super::ModelError;
use super::embedder::{EmbeddingKind, cosine};
use super::ocr::{OcrLanguage, OcrPage};
use super::pool::{JobError, JobHandle, ModelPool, SubmitError};
use super::{image_size, pdf};
use crate::projection::ProjectionHandle;
use crate::projection::near_dup::{NearDupProjection, item_text};
use minhash::Signature;
use rules::{RuleInput, RuleSettings};

/// The pipeline's settings. Every number is a named setting with a default.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifySettings {
    /// The rule checks' settings.
    pub rules: RuleSettings,
    /// Estimated shingle (Jaccard) similarity from which a published item
    /// counts as a near copy. Default 0.5.
    pub near_dup_similarity: f32,
    /// Embedding cosine from which a published item counts as a paraphrase.
    /// Default 0.9.
    pub paraphrase_cosine: f32,
    /// Most similar items reported per method. Default 3.
    pub max_matches: usize,
    /// Penalty of a near copy at similarity 1 (scaled by the similarity).
    /// Default 0.8.
    pub near_dup_penalty: f32,
    /// Penalty of a paraphrase at cosine 1 (scaled). Default 0.5.
    pub paraphrase_penalty: f32,
    /// Mean word confidence (0–100) below which an image counts as
    /// unreadable. Default 60.
    pub min_ocr_confidence: f32,
    /// Penalty of an unreadable image (or PDF page). Default 0.1.
    pub ocr_penalty: f32,
    /// Most pages of one PDF read; a longer PDF is refused as invalid
    /// input. Each page is one OCR job, so keep `max_pdf_pages` times the
    /// images per request within the pool's OCR queue. Default 8.
    pub max_pdf_pages: usize,
    /// Embeddings of published items computed per round (bounded well
    /// under the embed queue). Default 32.
    pub embed_batch: usize,
    /// Time the whole pipeline may take. Default 60 s.
    pub deadline: Duration,
}

impl Default for VerifySettings {
    fn default() -> Self {
        VerifySettings {
            rules: RuleSettings::default(),
            near_dup_similarity: 0.5,
            paraphrase_cosine: 0.9,
            max_matches: 3,
            near_dup_penalty: 0.8,
            paraphrase_penalty: 0.5,
            min_ocr_confidence: 60.0,
            ocr_penalty: 0.1,
            max_pdf_pages: 8,
            embed_batch: 32,
            deadline: Duration::from_secs(60),
        }
    }
}

/// An image to read, already checked to be PNG, JPEG, TIFF or PDF (a PDF
/// is told by its magic bytes, [`pdf::is_pdf`], and read page by page).
#[derive(Debug, Clone)]
pub struct ImageInput {
    /// The encoded image, or the PDF file.
    pub bytes: Vec<u8>,
    /// Which language data to read it with.
    pub language: OcrLanguage,
}

/// What is verified: the item's current text and its images.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// The item's id (excluded from its own duplicate search).
    pub content_id: String,
    /// Its kind.
    pub kind: ContentKind,
    /// Its declared language.
    pub language: String,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// Its body.
    pub body: Body,
    /// Images (and PDFs) to read.
    pub images: Vec<ImageInput>,
}

/// The text read from one image, or from one page of a PDF.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ImageText {
    /// The image's index in the request (every page of a PDF has its
    /// PDF's index).
    pub index: usize,
    /// The page within the PDF, from 1; null for an image.
    pub page: Option<usize>,
    /// The text, normalised.
    pub text: String,
    /// Mean word confidence, 0–100.
    pub mean_confidence: f32,
    /// Words read.
    pub words: usize,
}

/// The pipeline's result.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// The score, in [0, 1].
    pub score: f32,
    /// Every finding that lowered it.
    pub findings: Vec<Finding>,
    /// The text read from each image and PDF page: images in request
    /// order, a PDF's pages in page order.
    pub images: Vec<ImageText>,
    /// The models used.
    pub model_versions: Vec<ModelVersion>,
}

/// Why the pipeline produced no report.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A model queue was full or the pool is shutting down (503, with
    /// `Retry-After` when overloaded).
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// A model job failed: bad input (an unreadable image, a PDF poppler
    /// cannot read or with too many pages → 422; an image of more pixels
    /// than the pool reads → 413), deadline (504), a missing
    /// program (503) or a worker error (500).
    #[error(transparent)]
    Job(#[from] JobError),
}

/// Embeddings of published items, by content id, with the hash of the text
/// they were computed from (a changed text is embedded again).
#[derive(Debug, Default)]
pub struct EmbeddingCache {
    vectors: RwLock<HashMap<String, CachedEmbedding>>,
}

/// The hash of the text an embedding was computed from, and the embedding.
type CachedEmbedding = (blake3::Hash, Arc<Vec<f32>>);

/// `error` with invalid input's message prefixed by `what` (e.g. "image 0
/// page 2"), so the caller learns which image it was about.
fn naming(what: &str, error: JobError) -> JobError {
    match error {
        JobError::Model(ModelError::InvalidInput(detail)) => {
            JobError::Model(ModelError::InvalidInput(format!("{what}: {detail}")))
        }
        JobError::Model(ModelError::ImageTooLarge {
            width,
            height,
            max_pixels,
            ..
        }) => JobError::Model(ModelError::ImageTooLarge {
            what: what.to_owned(),
            width,
            height,
            max_pixels,
        }),
        other => other,
    }
}

/// Multiplies `1 - penalty` over `findings`: 1 without findings, in [0, 1].
pub fn score(findings: &[Finding]) -> f32 {
    findings
        .iter()
        .map(|f| 1.0 - f.penalty.clamp(0.0, 1.0))
        .product::<f32>()
        .clamp(0.0, 1.0)
}

/// Runs the pipeline (see the module doc). Holds no lock across an await.
pub struct Verifier {
    pool: Arc<ModelPool>,
    index: ProjectionHandle<NearDupProjection>,
    cache: EmbeddingCache,
    settings: VerifySettings,
    model_versions: Vec<ModelVersion>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("pool", &self.pool)
            .field("settings", &self.settings)
            .field("model_versions", &self.model_versions)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier over `pool` and the near-duplicate `index`;
    /// `model_versions` are recorded with every result.
    pub fn new(
        pool: Arc<ModelPool>,
        index: ProjectionHandle<NearDupProjection>,
        settings: VerifySettings,
        model_versions: Vec<ModelVersion>,
    ) -> Self {
        Verifier {
            pool,
            index,
            cache: EmbeddingCache::default(),
            settings,
            model_versions,
        }
    }

    /// The pool the pipeline runs on.
    pub fn pool(&self) -> &Arc<ModelPool> {
        &self.pool
    }

    /// The settings.
    pub fn settings(&self) -> &VerifySettings {
        &self.settings
    }

    /// Verifies `request`: OCR, rules, near duplicates, score.
    pub async fn verify(&self, request: VerifyRequest) -> Result<VerifyReport, VerifyError> {
        let deadline = Instant::now() + self.settings.deadline;
        let mut findings = Vec::new();
        let mut text = item_text(&request.title, &request.summary, &request.body);
        let images = self
            .read_images(&request.images, deadline, &mut findings)
            .await?;
        for image in &images {
            text.push('\n');
            text.push_str(&image.text);
        }
        findings.extend(rules::check(
            &RuleInput {
                kind: request.kind,
                language: &request.language,
                summary: &request.summary,
                body: &request.body,
                text: &text,
            },
            &self.settings.rules,
        ));
        let copies = self.near_copies(&request.content_id, &text);
        let mut flagged: Vec<String> = copies.iter().map(|f| f.0.clone()).collect();
        for (id, similarity) in copies {
            findings.push(Finding {
                kind: FindingKind::NearDuplicate,
                message: format!(
                    "about {:.0}% of this text's 5-character runs also appear in published item {id}: write it in your own words or cite it",
                    similarity * 100.0
                ),
                penalty: self.settings.near_dup_penalty * similarity,
                evidence: Some(id),
            });
        }
        for (id, cos) in self
            .paraphrases(&request.content_id, &text, deadline)
            .await?
        {
            if flagged.contains(&id) {
                continue;
            }
            flagged.push(id.clone());
            findings.push(Finding {
                kind: FindingKind::Paraphrase,
                message: format!(
                    "this text says much the same as published item {id} (cosine {cos:.2}): add your own material"
                ),
                penalty: self.settings.paraphrase_penalty * cos,
                evidence: Some(id),
            });
        }
        Ok(VerifyReport {
            score: score(&findings),
            findings,
            images,
            model_versions: self.model_versions.clone(),
        })
    }

    async fn read_images(
        &self,
        images: &[ImageInput],
        deadline: Instant,
        findings: &mut Vec<Finding>,
    ) -> Result<Vec<ImageText>, VerifyError> {
        // Every image's size is read and every PDF counted before any OCR
        // job is queued, so a bad one is refused without work done for the
        // others.
        let max_pixels = self.pool.settings().max_image_pixels;
        for (index, image) in images.iter().enumerate() {
            if !pdf::is_pdf(&image.bytes) {
                image_size::check_pixels(&image.bytes, max_pixels)
                    .map_err(|e| naming(&format!("image {index}"), JobError::Model(e)))?;
            }
        }
        let mut pdfs: Vec<Option<(Arc<pdf::PdfFile>, usize)>> = Vec::with_capacity(images.len());
        for (index, image) in images.iter().enumerate() {
            pdfs.push(if pdf::is_pdf(&image.bytes) {
                Some(self.pdf_pages(index, image.bytes.clone(), deadline).await?)
            } else {
                None
            });
        }
        let mut jobs: Vec<(usize, Option<usize>, JobHandle<OcrPage>)> = Vec::new();
        for (index, (image, pdf)) in images.iter().zip(pdfs).enumerate() {
            match pdf {
                None => jobs.push((
                    index,
                    None,
                    self.pool
                        .ocr(image.bytes.clone(), image.language, deadline)?,
                )),
                Some((file, pages)) => {
                    for page in 1..=pages {
                        let handle = self.pool.ocr_pdf_page(
                            Arc::clone(&file),
                            page,
                            image.language,
                            deadline,
                        )?;
                        jobs.push((index, Some(page), handle));
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(jobs.len());
        for (index, page_no, handle) in jobs {
            let what = match page_no {
                Some(page) => format!("image {index} page {page}"),
                None => format!("image {index}"),
            };
            let page: OcrPage = handle.wait().await.map_err(|e| naming(&what, e))?;
            if page.mean_confidence < self.settings.min_ocr_confidence {
                findings.push(Finding {
                    kind: FindingKind::OcrUnreadable,
                    message: format!(
                        "{what} reads with {:.0}% confidence: use a sharper scan",
                        page.mean_confidence
                    ),
                    penalty: self.settings.ocr_penalty,
                    evidence: Some(match page_no {
                        Some(p) => format!("{index} page {p}"),
                        None => index.to_string(),
                    }),
                });
            }
            out.push(ImageText {
                index,
                page: page_no,
                words: page.words.len(),
                text: page.text,
                mean_confidence: page.mean_confidence,
            });
        }
        Ok(out)
    }

    /// The PDF `images[index]` written once for all its page jobs, and its
    /// page count, within [`VerifySettings::max_pdf_pages`] (the write and
    /// `pdfinfo` run on a blocking thread, bounded by `deadline`).
    async fn pdf_pages(
        &self,
        index: usize,
        bytes: Vec<u8>,
        deadline: Instant,
    ) -> Result<(Arc<pdf::PdfFile>, usize), VerifyError> {
        let what = format!("image {index}");
        let (file, pages) = tokio::task::spawn_blocking(move || {
            let file = pdf::PdfFile::write(&bytes)?;
            let pages = file.page_count(deadline)?;
            Ok::<_, ModelError>((file, pages))
        })
        .await
        .map_err(|_| JobError::WorkerLost)?
        .map_err(|e| naming(&what, e.into()))?;
        let max = self.settings.max_pdf_pages;
        if pages == 0 || pages > max {
            return Err(JobError::Model(ModelError::InvalidInput(format!(
                "{what} is a PDF of {pages} pages; send one of 1 to {max} pages"
            )))
            .into());
        }
        Ok((Arc::new(file), pages))
    }

    fn near_copies(&self, content_id: &str, text: &str) -> Vec<(String, f32)> {
        let signature = Signature::of(text);
        self.index
            .read(|p| {
                p.view().similar(
                    &signature,
                    content_id,
                    self.settings.near_dup_similarity,
                    self.settings.max_matches,
                )
            })
            .into_iter()
            .map(|m| (m.content_id, m.similarity))
            .collect()
    }

    /// Published items whose embedding cosine with `text` reaches the
    /// setting, most similar first.
    async fn paraphrases(
        &self,
        content_id: &str,
        text: &str,
        deadline: Instant,
    ) -> Result<Vec<(String, f32)>, VerifyError> {
        let kind = EmbeddingKind::ParaphraseL3;
        let query = self
            .pool
            .embed(kind, text.to_owned(), deadline)?
            .wait()
            .await?;
        // Published items with no (or a stale) cached embedding.
        let missing: Vec<(String, blake3::Hash, String)> = self.index.read(|p| {
            let cached = self.cache.vectors.read();
            p.view()
                .published()
                .filter(|(id, _)| *id != content_id)
                .filter_map(|(id, item)| {
                    let hash = blake3::hash(item.text.as_bytes());
                    match cached.get(id) {
                        Some((h, _)) if *h == hash => None,
                        _ => Some((id.to_owned(), hash, item.text.clone())),
                    }
                })
                .collect()
        });
        for batch in missing.chunks(self.settings.embed_batch.max(1)) {
            let mut handles = Vec::with_capacity(batch.len());
            for (_, _, text) in batch {
                handles.push(self.pool.embed(kind, text.clone(), deadline)?);
            }
            for ((id, hash, _), handle) in batch.iter().zip(handles) {
                let vector = handle.wait().await?;
                self.cache
                    .vectors
                    .write()
                    .insert(id.clone(), (*hash, Arc::new(vector)));
            }
        }
        let published: Vec<String> = self.index.read(|p| {
            p.view()
                .published()
                .filter(|(id, _)| *id != content_id)
                .map(|(id, _)| id.to_owned())
                .collect()
        });
        let cached = self.cache.vectors.read();
        let mut found: Vec<(String, f32)> = published
            .into_iter()
            .filter_map(|id| {
                let (_, vector) = cached.get(&id)?;
                let cos = cosine(&query, vector);
                (cos >= self.settings.paraphrase_cosine).then_some((id, cos))
            })
            .collect();
        drop(cached);
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found.truncate(self.settings.max_matches);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(penalty: f32) -> Finding {
        Finding {
            kind: FindingKind::Length,
            message: String::new(),
            penalty,
            evidence: None,
        }
    }

    #[test]
    fn the_score_multiplies_what_each_finding_leaves() {
        assert_eq!(score(&[]), 1.0);
        assert!((score(&[finding(0.5), finding(0.2)]) - 0.4).abs() < 1e-6);
        assert_eq!(score(&[finding(1.5)]), 0.0);
        assert_eq!(score(&[finding(-1.0)]), 1.0);
    }
}
