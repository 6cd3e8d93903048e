//! The catalog's full-text index: a `tantivy` index in RAM over every
//! item's title, summary and tags, ranked by BM25.
//!
//! The index is a cache of the catalog's items, never serialized: it is
//! built from the restored items when a snapshot loads and updated as
//! events are applied. Applying only buffers documents in the writer; the
//! first search after a change commits and reloads the reader once (under a
//! lock, so concurrent searches wait for that one commit), so a flood of
//! events costs one commit, not one per event.
//!
//! The last word of a query is also matched as a prefix (`postgres` finds
//! `PostgreSQL`), as a search box user expects while typing. A prefix
//! match scores a small constant ([`PREFIX_SCORE`]) where a whole word
//! scores its BM25 (plus that constant, as a word is its own prefix), so an
//! item with the whole word ranks above one with only a longer word that
//! starts with it, other words matching alike.
//!
//! Each item gets a small numeric key for the life of the index (a fast
//! field), so matches map back to ids without reading stored documents.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};

use super::tokenize::{MixedTokenizer, TOKENIZER, last_word, query_terms};

/// Bytes the index writer may buffer before it writes a segment (tantivy's
/// minimum per thread; the catalog's text is small).
const WRITER_MEMORY_BYTES: usize = 15_000_000;

/// How much a match in each field counts: title, tags, summary.
const TITLE_BOOST: Score = 3.0;
/// See [`TITLE_BOOST`].
const TAGS_BOOST: Score = 2.0;
/// See [`TITLE_BOOST`].
const SUMMARY_BOOST: Score = 1.0;

/// What a match of the query's last word as a prefix counts, in any field
/// (a whole word counts its BM25 score besides).
const PREFIX_SCORE: Score = 0.5;
/// Shortest last word matched as a prefix too, in characters (a single
/// letter would match most of the index).
const MIN_PREFIX_CHARS: usize = 2;
/// Most indexed words one prefix expands to, per field and segment (the
/// first in alphabetical order).
const MAX_PREFIX_TERMS: u32 = 100;

/// The search index failed (it is in RAM, so only a tantivy bug or an
/// exhausted machine gets here); the listing answers 503.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the search index is unavailable: {0}")]
pub struct SearchUnavailable(pub String);

impl From<tantivy::TantivyError> for SearchUnavailable {
    fn from(error: tantivy::TantivyError) -> Self {
        Self(error.to_string())
    }
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    title: Field,
    summary: Field,
    tags: Field,
}

struct Inner {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    /// Changes were buffered since the last commit.
    dirty: AtomicBool,
    keys: HashMap<String, u64>,
    ids: HashMap<u64, String>,
}

/// The full-text index of the catalog (see the module doc).
pub(crate) struct SearchIndex {
    /// `Err` if the index could not be created; searches then fail.
    inner: Result<Inner, SearchUnavailable>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let docs = self.inner.as_ref().map(|i| i.keys.len());
        f.debug_struct("SearchIndex").field("docs", &docs).finish()
    }
}

impl Default for SearchIndex {
    fn default() -> Self {
        let inner = Inner::new();
        if let Err(e) = &inner {
            tracing::error!(error = %e, "the catalog search index could not be created");
        }
        Self { inner }
    }
}

impl Inner {
    fn new() -> Result<Self, SearchUnavailable> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            key: schema.add_u64_field("key", NumericOptions::default().set_indexed().set_fast()),
            title: schema.add_text_field("title", text.clone()),
            summary: schema.add_text_field("summary", text.clone()),
            tags: schema.add_text_field("tags", text),
        };
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::from(MixedTokenizer));
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            fields,
            reader,
            writer: Mutex::new(writer),
            dirty: AtomicBool::new(false),
            keys: HashMap::new(),
            ids: HashMap::new(),
        })
    }
}

impl SearchIndex {
    /// Indexes (or re-indexes) item `id` with its searchable text.
    pub(crate) fn upsert(&mut self, id: &str, title: &str, summary: &str, tags: &[String]) {
        let Ok(inner) = &mut self.inner else { return };
        let next = u64::try_from(inner.keys.len()).unwrap_or(u64::MAX);
        let key = *inner.keys.entry(id.to_owned()).or_insert(next);
        inner.ids.entry(key).or_insert_with(|| id.to_owned());
        let f = inner.fields;
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.key, key);
        doc.add_text(f.title, title);
        doc.add_text(f.summary, summary);
        for tag in tags {
            doc.add_text(f.tags, tag);
        }
        let writer = inner.writer.get_mut();
        writer.delete_term(Term::from_field_u64(f.key, key));
        if let Err(e) = writer.add_document(doc) {
            tracing::error!(error = %e, item = id, "indexing a catalog item failed");
        }
        *inner.dirty.get_mut() = true;
    }

    /// The ids of every item whose text matches all terms of `text`, with
    /// their BM25 scores (title, tags and summary matches weighted); the
    /// last word also matches as a prefix (see the module doc). Text
    /// without any searchable word matches nothing.
    pub(crate) fn search(&self, text: &str) -> Result<Vec<(&str, Score)>, SearchUnavailable> {
        let inner = self.inner.as_ref().map_err(Clone::clone)?;
        let terms = query_terms(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let prefix = last_word(text).filter(|w| w.chars().count() >= MIN_PREFIX_CHARS);
        inner.refresh()?;
        let f = inner.fields;
        let fields = [
            (f.title, TITLE_BOOST),
            (f.tags, TAGS_BOOST),
            (f.summary, SUMMARY_BOOST),
        ];
        let per_term = terms
            .iter()
            .map(|term| {
                let mut any_field: Vec<(Occur, Box<dyn Query>)> = fields
                    .into_iter()
                    .map(|(field, boost)| {
                        let query = TermQuery::new(
                            Term::from_field_text(field, term),
                            IndexRecordOption::WithFreqs,
                        );
                        let boosted: Box<dyn Query> =
                            Box::new(BoostQuery::new(Box::new(query), boost));
                        (Occur::Should, boosted)
                    })
                    .collect();
                if prefix.as_ref() == Some(term) {
                    any_field.push((Occur::Should, prefix_query(&fields, term)));
                }
                let query: Box<dyn Query> = Box::new(BooleanQuery::new(any_field));
                (Occur::Must, query)
            })
            .collect();
        let query = BooleanQuery::new(per_term);
        let searcher = inner.reader.searcher();
        let keys = searcher.search(&query, &AllMatches)?;
        Ok(keys
            .into_iter()
            .filter_map(|(key, score)| inner.ids.get(&key).map(|id| (id.as_str(), score)))
            .collect())
    }
}

/// Words starting with `prefix` in any of `fields`, scoring
/// [`PREFIX_SCORE`] however many fields match.
fn prefix_query(fields: &[(Field, Score)], prefix: &str) -> Box<dyn Query> {
    let any_field: Vec<(Occur, Box<dyn Query>)> = fields
        .iter()
        .map(|&(field, _)| {
            let mut query = PhrasePrefixQuery::new(vec![Term::from_field_text(field, prefix)]);
            query.set_max_expansions(MAX_PREFIX_TERMS);
            let query: Box<dyn Query> = Box::new(query);
            (Occur::Should, query)
        })
        .collect();
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(any_field)),
        PREFIX_SCORE,
    ))
}

impl Inner {
    /// Commits buffered changes and reloads the reader, once, if any.
    fn refresh(&self) -> Result<(), SearchUnavailable> {
        if !self.dirty.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut writer = self.writer.lock();
        if self.dirty.load(Ordering::Acquire) {
            writer.commit()?;
            self.reader.reload()?;
            self.dirty.store(false, Ordering::Release);
        }
        Ok(())
    }
}

/// Collects every match as `(key, score)`.
struct AllMatches;

/// [`AllMatches`] within one segment.
struct SegmentMatches {
    keys: tantivy::columnar::Column<u64>,
    found: Vec<(u64, Score)>,
}

impl Collector for AllMatches {
    type Fruit = Vec<(u64, Score)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            keys: segment.fast_fields().u64("key")?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(u64, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(key) = self.keys.first(doc) {
            self.found.push((key, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(found: &[(&str, Score)]) -> Vec<String> {
        let mut ids: Vec<String> = found.iter().map(|(id, _)| (*id).to_owned()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn finds_english_and_chinese_and_ranks_title_matches_first() {
        let mut index = SearchIndex::default();
        index.upsert("a", "Rust actors", "message passing", &["rust".into()]);
        index.upsert("b", "Cooking", "a little rust on the pan", &[]);
        index.upsert("c", "编程语言入门", "学习 Rust", &["编程".into()]);
        let found = index.search("RUST").expect("search");
        assert_eq!(ids(&found), ["a", "b", "c"]);
        let best = found
            .iter()
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .map(|(id, _)| *id);
        assert_eq!(best, Some("a"));
        assert_eq!(ids(&index.search("语言").expect("search")), ["c"]);
        assert_eq!(ids(&index.search("编程语言").expect("search")), ["c"]);
        assert_eq!(ids(&index.search("门").expect("search")), ["c"]);
        assert!(index.search("语法").expect("search").is_empty());
        assert!(index.search("rust cooking").expect("search").len() == 1);
        assert!(index.search("!!").expect("search").is_empty());
    }

    fn score_of(found: &[(&str, Score)], id: &str) -> Score {
        found
            .iter()
            .find(|(found, _)| *found == id)
            .map_or_else(|| panic!("{id} not found in {found:?}"), |(_, s)| *s)
    }

    #[test]
    fn the_last_word_matches_as_a_prefix_and_whole_words_rank_first() {
        let mut index = SearchIndex::default();
        index.upsert("sql", "PostgreSQL tuning", "indexes and plans", &[]);
        index.upsert("pg", "Tuning", "the postgres planner", &[]);
        index.upsert("post", "Posting letters", "stamps", &[]);
        index.upsert("zh", "数据库入门", "学习 PostgreSQL", &["数据库".into()]);
        let found = index.search("postgres").expect("search");
        assert_eq!(ids(&found), ["pg", "sql", "zh"]);
        assert!(
            score_of(&found, "pg") > score_of(&found, "sql"),
            "the whole word in a summary ranks above a prefix in a title: {found:?}"
        );
        // Only the last word is a prefix; earlier words match whole.
        assert_eq!(
            ids(&index.search("tuning postgres").expect("search")),
            ["pg", "sql"]
        );
        assert_eq!(
            ids(&index.search("postgres tuning").expect("search")),
            ["pg"]
        );
        assert!(index.search("postgre tun").expect("search").is_empty());
        // A single letter is no prefix (it would match most of the index).
        assert!(index.search("p").expect("search").is_empty());
        // Chinese queries, alone or before a prefix, still match.
        assert_eq!(ids(&index.search("数据库").expect("search")), ["zh"]);
        assert_eq!(ids(&index.search("数据库 postg").expect("search")), ["zh"]);
        assert_eq!(
            ids(&index.search("postgresql 入门").expect("search")),
            ["zh"]
        );
    }

    #[test]
    fn reindexing_replaces_the_old_text() {
        let mut index = SearchIndex::default();
        index.upsert("a", "old title", "", &[]);
        assert_eq!(ids(&index.search("old").expect("search")), ["a"]);
        index.upsert("a", "new title", "", &[]);
        assert!(index.search("old").expect("search").is_empty());
        assert_eq!(ids(&index.search("new").expect("search")), ["a"]);
    }
}
