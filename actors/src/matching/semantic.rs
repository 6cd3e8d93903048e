//! The semantic part of a score: the cosine of two texts' sentence
//! embeddings, computed by the model workers ([`ModelPool::embed`]) and
//! kept in a bounded cache so a text is embedded once.
//!
//! The model is `all-MiniLM-L6-v2` (int8) by default ([`DEFAULT_KIND`]):
//! its WordPiece vocabulary holds the CJK characters, and the tests check
//! that a Chinese requirement finds the relevant Chinese and English
//! proposals above unrelated ones (`actors/tests/matching.rs`). Texts are
//! truncated at 128 tokens by the model, so the proposal goes first in a
//! bid's text ([`bid_text`]).
//!
//! Where the work happens: each distinct text not in the cache is one
//! embedding job on the pool's bounded queue; at most a quarter of the
//! queue's bound is in flight per call, so a ranking never fills the
//! queue on its own. The caller's task only waits.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::models::embedder::cosine;
use crate::models::pool::{JobError, ModelPool, SubmitError};
use crate::models::{EmbeddingKind, ModelError};

/// The embedding model bid ranking uses.
pub const DEFAULT_KIND: EmbeddingKind = EmbeddingKind::MiniLmL6Int8;

/// Why the semantic part could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    /// The embedding queue is full: answer 503 with `Retry-After`.
    #[error("the embedding queue is full; retry after {retry_after:?}")]
    Overloaded {
        /// Advised wait.
        retry_after: Duration,
    },
    /// The model is not loaded or the pool is shutting down: answer 503.
    #[error("the embedding model is unavailable: {0}")]
    Unavailable(String),
    /// The deadline passed before every text was embedded: answer 504.
    #[error("the embeddings did not finish before the deadline")]
    DeadlineExceeded,
    /// The model failed (a server-side error, 500).
    #[error("embedding failed: {0}")]
    Failed(String),
}

impl From<SubmitError> for SemanticError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Overloaded { retry_after, .. } => {
                SemanticError::Overloaded { retry_after }
            }
            SubmitError::ShutDown => SemanticError::Unavailable(e.to_string()),
        }
    }
}

impl From<JobError> for SemanticError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::DeadlineExceeded => SemanticError::DeadlineExceeded,
            JobError::Model(ModelError::Unavailable(what)) => {
                SemanticError::Unavailable(what.to_owned())
            }
            other => SemanticError::Failed(other.to_string()),
        }
    }
}

/// A requirement's text for embedding: title, then description.
pub fn requirement_text(title: &str, description: &str) -> String {
    format!("{}\n{}", title.trim(), description.trim())
}

/// A bid's text for embedding: the proposal first (the model reads 128
/// tokens), then the vendor's profile text.
pub fn bid_text(proposal: &str, vendor_profile: &str) -> String {
    format!("{}\n{}", proposal.trim(), vendor_profile.trim())
}

type Key = [u8; 32];

/// Embeddings by the BLAKE3 hash of their text, the oldest forgotten first
/// past the bound.
#[derive(Debug)]
struct Cache {
    vectors: HashMap<Key, Arc<[f32]>>,
    order: VecDeque<Key>,
    capacity: usize,
}

impl Cache {
    fn insert(&mut self, key: Key, vector: Arc<[f32]>) {
        if self.capacity == 0 || self.vectors.contains_key(&key) {
            return;
        }
        while self.vectors.len() >= self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.vectors.remove(&old);
                }
                None => break,
            }
        }
        self.vectors.insert(key, vector);
        self.order.push_back(key);
    }
}

/// Semantic fit with a bounded embedding cache; share one per server.
#[derive(Debug)]
pub struct SemanticFit {
    kind: EmbeddingKind,
    cache: Mutex<Cache>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How many texts a [`SemanticFit`] found in its cache and embedded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CacheCounts {
    /// Texts found in the cache.
    pub hits: u64,
    /// Texts embedded by the model workers.
    pub misses: u64,
}

impl SemanticFit {
    /// A fit with model `kind`, keeping at most `cache_entries` vectors
    /// (0: no cache).
    pub fn new(kind: EmbeddingKind, cache_entries: usize) -> Self {
        SemanticFit {
            kind,
            cache: Mutex::new(Cache {
                vectors: HashMap::new(),
                order: VecDeque::new(),
                capacity: cache_entries,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Texts found in the cache and texts embedded so far.
    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The embeddings of `texts` (same order), from the cache or the pool.
    /// A text repeated in `texts` is embedded once.
    pub async fn embed_all(
        &self,
        pool: &ModelPool,
        texts: &[&str],
        deadline: Instant,
    ) -> Result<Vec<Arc<[f32]>>, SemanticError> {
        let keys: Vec<Key> = texts
            .iter()
            .map(|t| *blake3::hash(t.as_bytes()).as_bytes())
            .collect();
        let mut found: HashMap<Key, Arc<[f32]>> = HashMap::with_capacity(texts.len());
        let mut missing: Vec<(Key, &str)> = Vec::new();
        {
            let cache = self.cache.lock();
            for (key, text) in keys.iter().zip(texts) {
                if found.contains_key(key) || missing.iter().any(|(k, _)| k == key) {
                    continue;
                }
                match cache.vectors.get(key) {
                    Some(v) => {
                        found.insert(*key, Arc::clone(v));
                    }
                    None => missing.push((*key, text)),
                }
            }
        }
        self.hits.fetch_add(found.len() as u64, Ordering::Relaxed);
        self.misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        let window = (pool.settings().embed_queue / 4).max(1);
        for chunk in missing.chunks(window) {
            let mut handles = Vec::with_capacity(chunk.len());
            for (key, text) in chunk {
                handles.push((*key, pool.embed(self.kind, (*text).to_owned(), deadline)?));
            }
            for (key, handle) in handles {
                let vector: Arc<[f32]> = handle.wait().await?.into();
                self.cache.lock().insert(key, Arc::clone(&vector));
                found.insert(key, vector);
            }
        }
        keys.iter()
            .map(|k| {
                found
                    .get(k)
                    .cloned()
                    .ok_or_else(|| SemanticError::Failed("an embedding went missing".into()))
            })
            .collect()
    }

    /// The cosine of `anchor` with each of `candidates` (same order).
    pub async fn cosines(
        &self,
        pool: &ModelPool,
        anchor: &str,
        candidates: &[String],
        deadline: Instant,
    ) -> Result<Vec<f64>, SemanticError> {
        let mut texts: Vec<&str> = Vec::with_capacity(candidates.len() + 1);
        texts.push(anchor);
        texts.extend(candidates.iter().map(String::as_str));
        let vectors = self.embed_all(pool, &texts, deadline).await?;
        let (first, rest) = vectors
            .split_first()
            .ok_or_else(|| SemanticError::Failed("no anchor embedding".into()))?;
        Ok(rest.iter().map(|v| f64::from(cosine(first, v))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_forgets_the_oldest_past_its_bound() {
        let mut cache = Cache {
            vectors: HashMap::new(),
            order: VecDeque::new(),
            capacity: 2,
        };
        let v: Arc<[f32]> = vec![1.0].into();
        cache.insert([1; 32], Arc::clone(&v));
        cache.insert([2; 32], Arc::clone(&v));
        cache.insert([2; 32], Arc::clone(&v));
        cache.insert([3; 32], Arc::clone(&v));
        assert!(!cache.vectors.contains_key(&[1; 32]));
        assert!(cache.vectors.contains_key(&[2; 32]) && cache.vectors.contains_key(&[3; 32]));
        assert_eq!(cache.order.len(), 2);
        let mut none = Cache {
            vectors: HashMap::new(),
            order: VecDeque::new(),
            capacity: 0,
        };
        none.insert([1; 32], v);
        assert!(none.vectors.is_empty());
    }

    #[test]
    fn bid_text_puts_the_proposal_first() {
        assert_eq!(bid_text(" proposal ", "profile"), "proposal\nprofile");
        assert_eq!(requirement_text("title", " body"), "title\nbody");
    }
}
