//! The catalog read model: every content item's public card (kind, title,
//! summary, tags, language, creator, price, stage), its sales and its
//! rating, by id, folded from the Content events.
//!
//! Listing filters (tag, kind, language, price range, creator) and sorts
//! (newest, rating, sales, relevance) published items with cursor
//! pagination. Full-text search (`q`) over title, summary and tags goes
//! through a `tantivy` index ([`search`]) kept next to the items: it is not
//! part of the serialized state (snapshots stay byte-identical to a
//! rebuild), but rebuilt from the items when a snapshot loads. With `q`,
//! only the index's matches are filtered and sorted (by BM25 relevance
//! unless another sort is asked).

pub(crate) mod search;
mod tokenize;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use agora_events::Timestamp;
use agora_events::domain::content::{ContentKind, LazyContentEvent, Money};
use serde::{Deserialize, Serialize};

pub use search::SearchUnavailable;

use super::{Projection, SharedEvent};

/// Most items one listing page returns.
pub const MAX_PAGE: usize = 100;

/// Where an item is in its life, as the catalog shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CatalogStage {
    /// Only its creator sees it.
    Draft,
    /// Listed and purchasable.
    Published,
    /// Hidden from listings; owners keep it.
    Unpublished,
    /// Withdrawn for good; owners keep it.
    Retired,
}

/// One content item as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// The item's id.
    pub id: String,
    /// Article, course or column.
    pub kind: ContentKind,
    /// The title.
    pub title: String,
    /// The summary.
    pub summary: String,
    /// The tags.
    pub tags: Vec<String>,
    /// The language tag.
    pub language: String,
    /// Who drafted it.
    pub creator_id: String,
    /// The price of future purchases, once set.
    pub price: Option<Money>,
    /// Where it is in its life.
    pub stage: CatalogStage,
    /// Purchases that were not refunded.
    pub sales: u64,
    /// Sum of the current ratings' stars.
    pub rating_sum: u64,
    /// Number of current ratings (one per user).
    pub rating_count: u64,
    /// Current stars by user (a later rating replaces the earlier).
    ratings: BTreeMap<String, u8>,
    /// The aggregate version this record reflects (the HTTP `ETag`).
    pub version: u64,
    /// When it was drafted.
    pub drafted_at: Timestamp,
    /// When it was last published, if ever.
    pub published_at: Option<Timestamp>,
}

impl CatalogItem {
    /// The average rating, if anyone rated.
    pub fn rating_average(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| self.rating_sum as f64 / self.rating_count as f64)
    }

    /// The value `sort` orders by (larger first).
    fn sort_key(&self, sort: CatalogSort) -> i64 {
        match sort {
            CatalogSort::Newest => self.published_at.map_or(i64::MIN, |t| t.0),
            CatalogSort::Rating => {
                let millis = (self.rating_sum * 1000)
                    .checked_div(self.rating_count)
                    .unwrap_or(0);
                i64::try_from(millis).unwrap_or(i64::MAX)
            }
            CatalogSort::Sales => i64::try_from(self.sales).unwrap_or(i64::MAX),
            // Without a score (no `q`), relevance falls back to recency.
            CatalogSort::Relevance => self.published_at.map_or(i64::MIN, |t| t.0),
        }
    }
}

/// The order of a listing; ties go by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CatalogSort {
    /// Most recently published first.
    #[default]
    Newest,
    /// Best average rating first.
    Rating,
    /// Most sales first.
    Sales,
    /// Best full-text match first (BM25); needs a search text. Its cursors
    /// carry the score: new items indexed between two pages may shift
    /// scores, so a page boundary is exact only while the catalog is still.
    Relevance,
}

impl CatalogSort {
    /// The letter that tags this sort's cursors.
    fn tag(self) -> char {
        match self {
            Self::Newest => 'n',
            Self::Rating => 'r',
            Self::Sales => 's',
            Self::Relevance => 'q',
        }
    }
}

/// A listing request; `None` filters match everything.
#[derive(Clone, Debug, Default)]
pub struct CatalogQuery {
    /// Items whose title, summary or tags contain every word of this text
    /// (CJK text matches by character pairs).
    pub text: Option<String>,
    /// Items carrying this tag.
    pub tag: Option<String>,
    /// Items of this kind.
    pub kind: Option<ContentKind>,
    /// Items in this language.
    pub language: Option<String>,
    /// Items costing at least this many cents.
    pub min_price: Option<u64>,
    /// Items costing at most this many cents.
    pub max_price: Option<u64>,
    /// Items by this creator.
    pub creator: Option<String>,
    /// The order.
    pub sort: CatalogSort,
    /// Page size, 1 to [`MAX_PAGE`].
    pub limit: usize,
    /// Where the previous page ended ([`CatalogPage::next_cursor`]).
    pub cursor: Option<String>,
}

/// The cursor does not belong to this listing's sort, or is not a cursor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this listing's sort returned")]
pub struct BadCursor;

/// Why a listing failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// The cursor is not from this listing (400).
    #[error(transparent)]
    BadCursor(#[from] BadCursor),
    /// The search index failed (503).
    #[error(transparent)]
    Search(#[from] SearchUnavailable),
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogPage {
    /// The items, in order.
    pub items: Vec<CatalogItem>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Every content item by id, and their full-text index.
///
/// Serialized as the items alone; deserializing rebuilds the index.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoredCatalog")]
pub struct CatalogView {
    items: BTreeMap<String, CatalogItem>,
    #[serde(skip)]
    search: search::SearchIndex,
    #[serde(skip)]
    orders: Orders,
}

/// The published items in each sort's order (larger key first, ties by
/// id), kept as events arrive, so a listing page walks from its cursor and
/// stops after `limit` matches instead of sorting the whole catalog.
#[derive(Debug, Default)]
struct Orders {
    newest: BTreeSet<(Reverse<i64>, String)>,
    rating: BTreeSet<(Reverse<i64>, String)>,
    sales: BTreeSet<(Reverse<i64>, String)>,
}

/// The sorts with an order of their own (relevance without a search text
/// falls back to recency).
const ORDERED_SORTS: [CatalogSort; 3] =
    [CatalogSort::Newest, CatalogSort::Rating, CatalogSort::Sales];

impl Orders {
    fn of(&self, sort: CatalogSort) -> &BTreeSet<(Reverse<i64>, String)> {
        match sort {
            CatalogSort::Rating => &self.rating,
            CatalogSort::Sales => &self.sales,
            CatalogSort::Newest | CatalogSort::Relevance => &self.newest,
        }
    }

    fn of_mut(&mut self, sort: CatalogSort) -> &mut BTreeSet<(Reverse<i64>, String)> {
        match sort {
            CatalogSort::Rating => &mut self.rating,
            CatalogSort::Sales => &mut self.sales,
            CatalogSort::Newest | CatalogSort::Relevance => &mut self.newest,
        }
    }

    /// Files `item` under its current keys if it is listed.
    fn insert(&mut self, item: &CatalogItem) {
        if item.stage == CatalogStage::Published {
            for sort in ORDERED_SORTS {
                self.of_mut(sort)
                    .insert((Reverse(item.sort_key(sort)), item.id.clone()));
            }
        }
    }

    /// Takes `item` out, by the keys it was filed under.
    fn remove(&mut self, item: &CatalogItem) {
        if item.stage == CatalogStage::Published {
            for sort in ORDERED_SORTS {
                self.of_mut(sort)
                    .remove(&(Reverse(item.sort_key(sort)), item.id.clone()));
            }
        }
    }
}

/// The serialized shape of a [`CatalogView`]: its items.
#[derive(Deserialize)]
struct StoredCatalog {
    items: BTreeMap<String, CatalogItem>,
}

impl From<StoredCatalog> for CatalogView {
    fn from(stored: StoredCatalog) -> Self {
        let mut view = Self {
            items: stored.items,
            search: search::SearchIndex::default(),
            orders: Orders::default(),
        };
        for item in view.items.values() {
            view.search
                .upsert(&item.id, &item.title, &item.summary, &item.tags);
            view.orders.insert(item);
        }
        view
    }
}

/// An opaque cursor: sort tag, sort key and id.
fn cursor(sort: CatalogSort, key: i64, id: &str) -> String {
    format!("{}{key}~{id}", sort.tag())
}

fn parse_cursor(sort: CatalogSort, cursor: &str) -> Result<(i64, String), BadCursor> {
    let rest = cursor.strip_prefix(sort.tag()).ok_or(BadCursor)?;
    let (key, id) = rest.split_once('~').ok_or(BadCursor)?;
    Ok((key.parse().map_err(|_| BadCursor)?, id.to_owned()))
}

impl CatalogView {
    /// The item with this id, whatever its stage.
    pub fn get(&self, id: &str) -> Option<&CatalogItem> {
        self.items.get(id)
    }

    /// Number of items (drafts included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One page of published items matching `query`. With a search text,
    /// only the index's matches are considered, and [`CatalogSort::Relevance`]
    /// orders them by score.
    pub fn list(&self, query: &CatalogQuery) -> Result<CatalogPage, ListError> {
        let sort = query.sort;
        let after = query
            .cursor
            .as_deref()
            .map(|c| parse_cursor(sort, c))
            .transpose()?
            .map(|(key, id)| (Reverse(key), id));
        let limit = query.limit.clamp(1, MAX_PAGE);
        let Some(text) = query.text.as_deref() else {
            return Ok(self.walk(query, after, limit));
        };
        let candidates: Vec<(&CatalogItem, Option<f32>)> = self
            .search
            .search(text)?
            .into_iter()
            .filter_map(|(id, score)| self.items.get(id).map(|item| (item, Some(score))))
            .collect();
        let mut matching: Vec<(Reverse<i64>, &CatalogItem)> = candidates
            .into_iter()
            .filter(|(item, _)| item.stage == CatalogStage::Published && matches(item, query))
            .map(|(item, score)| {
                let key = match (sort, score) {
                    (CatalogSort::Relevance, Some(score)) => score_key(score),
                    _ => item.sort_key(sort),
                };
                (Reverse(key), item)
            })
            .filter(|(key, item)| {
                after
                    .as_ref()
                    .is_none_or(|(k, id)| (*key, item.id.as_str()) > (*k, id.as_str()))
            })
            .collect();
        matching.sort_by(|(ka, a), (kb, b)| (ka, &a.id).cmp(&(kb, &b.id)));
        let next_cursor = (matching.len() > limit).then(|| {
            let (Reverse(key), item) = matching[limit - 1];
            cursor(sort, key, &item.id)
        });
        let items = matching
            .into_iter()
            .take(limit)
            .map(|(_, item)| item.clone())
            .collect();
        Ok(CatalogPage { items, next_cursor })
    }

    /// A page without search text: walks the sort's order from the cursor,
    /// keeping items that pass the filters, and stops one past the page.
    fn walk(
        &self,
        query: &CatalogQuery,
        after: Option<(Reverse<i64>, String)>,
        limit: usize,
    ) -> CatalogPage {
        let order = self.orders.of(query.sort);
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut matching: Vec<(i64, &CatalogItem)> = order
            .range((from, Bound::Unbounded))
            .filter_map(|(Reverse(key), id)| self.items.get(id).map(|item| (*key, item)))
            .filter(|(_, item)| matches(item, query))
            .take(limit + 1)
            .collect();
        let next_cursor = (matching.len() > limit).then(|| {
            let (key, item) = matching[limit - 1];
            cursor(query.sort, key, &item.id)
        });
        matching.truncate(limit);
        let items = matching.into_iter().map(|(_, item)| item.clone()).collect();
        CatalogPage { items, next_cursor }
    }

    /// Re-indexes item `id`'s text.
    fn reindex(&mut self, id: &str) {
        if let Some(item) = self.items.get(id) {
            self.search
                .upsert(&item.id, &item.title, &item.summary, &item.tags);
        }
    }
}

/// A relevance score as an ordered integer key: the bits of a
/// non-negative `f32` order like the numbers.
fn score_key(score: f32) -> i64 {
    i64::from(score.max(0.0).to_bits())
}

/// Whether `item` passes every filter of `query`.
fn matches(item: &CatalogItem, query: &CatalogQuery) -> bool {
    let cents = item.price.as_ref().map_or(0, |p| p.amount_cents);
    query.tag.as_ref().is_none_or(|t| item.tags.contains(t))
        && query.kind.is_none_or(|k| item.kind == k)
        && query
            .language
            .as_ref()
            .is_none_or(|l| item.language.eq_ignore_ascii_case(l))
        && query.min_price.is_none_or(|min| cents >= min)
        && query.max_price.is_none_or(|max| cents <= max)
        && query.creator.as_ref().is_none_or(|c| &item.creator_id == c)
}

impl Projection for CatalogView {
    const NAME: &'static str = "catalog";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, shared: &SharedEvent<'_>) -> Result<(), String> {
        let Some(id) = shared.content_id() else {
            return Ok(());
        };
        let version = shared.recorded().version;
        // Of an event the catalog does not show or sort by, only the item's
        // version is kept (its payload is not read).
        let Some((_, content)) = shared.content() else {
            return self.touch(id, version);
        };
        match content {
            LazyContentEvent::Drafted(e) => {
                let e = e.get()?;
                let replaced = self.items.insert(
                    id.to_owned(),
                    CatalogItem {
                        id: id.to_owned(),
                        kind: e.kind,
                        title: e.title.clone(),
                        summary: e.summary.clone(),
                        tags: e.tags.clone(),
                        language: e.language.clone(),
                        creator_id: e.creator_id.clone(),
                        price: None,
                        stage: CatalogStage::Draft,
                        sales: 0,
                        rating_sum: 0,
                        rating_count: 0,
                        ratings: BTreeMap::new(),
                        version,
                        drafted_at: e.drafted_at,
                        published_at: None,
                    },
                );
                if let Some(old) = replaced {
                    self.orders.remove(&old);
                }
                self.reindex(id);
            }
            LazyContentEvent::DraftEdited(e) => {
                let e = e.get()?;
                self.change(id, version, |item| {
                    if let Some(kind) = e.kind {
                        item.kind = kind;
                    }
                    if let Some(title) = &e.title {
                        item.title.clone_from(title);
                    }
                    if let Some(summary) = &e.summary {
                        item.summary.clone_from(summary);
                    }
                    if let Some(tags) = &e.tags {
                        item.tags.clone_from(tags);
                    }
                    if let Some(language) = &e.language {
                        item.language.clone_from(language);
                    }
                })?;
                self.reindex(id);
            }
            LazyContentEvent::PriceSet(e) => {
                let e = e.get()?;
                self.change(id, version, |item| item.price = Some(e.price.clone()))?;
            }
            LazyContentEvent::Published(e) => {
                let e = e.get()?;
                self.change(id, version, |item| {
                    item.stage = CatalogStage::Published;
                    item.published_at = Some(e.published_at);
                })?;
            }
            LazyContentEvent::Unpublished(_) => {
                self.change(id, version, |item| item.stage = CatalogStage::Unpublished)?;
            }
            LazyContentEvent::Retired(_) => {
                self.change(id, version, |item| item.stage = CatalogStage::Retired)?;
            }
            LazyContentEvent::Purchased(_) => self.change(id, version, |item| item.sales += 1)?,
            LazyContentEvent::PurchaseRefunded(_) => {
                self.change(id, version, |item| {
                    item.sales = item.sales.saturating_sub(1);
                })?;
            }
            LazyContentEvent::Rated(e) => {
                let e = e.get()?;
                self.change(id, version, |item| {
                    let old = item.ratings.insert(e.user_id.clone(), e.stars);
                    item.rating_sum += u64::from(e.stars);
                    match old {
                        Some(old) => item.rating_sum -= u64::from(old),
                        None => item.rating_count += 1,
                    }
                })?;
            }
            LazyContentEvent::ReviewWritten(_)
            | LazyContentEvent::CheckedIn(_)
            | LazyContentEvent::CommentPosted(_)
            | LazyContentEvent::AnswerMarked(_)
            | LazyContentEvent::ListedByPartner(_)
            | LazyContentEvent::DraftGenerated(_)
            | LazyContentEvent::Verified(_) => self.touch(id, version)?,
        }
        Ok(())
    }
}

impl CatalogView {
    /// Changes item `id` as of its aggregate `version`: `f` changes what
    /// the catalog shows or sorts by, with the item out of the orders
    /// meanwhile and back in under its new keys after.
    fn change(
        &mut self,
        id: &str,
        version: u64,
        f: impl FnOnce(&mut CatalogItem),
    ) -> Result<(), String> {
        let item = self
            .items
            .get_mut(id)
            .ok_or("an event of content that was never drafted")?;
        self.orders.remove(item);
        item.version = version;
        f(item);
        self.orders.insert(item);
        Ok(())
    }

    /// Keeps item `id`'s aggregate `version`, nothing else changing.
    fn touch(&mut self, id: &str, version: u64) -> Result<(), String> {
        let item = self
            .items
            .get_mut(id)
            .ok_or("an event of content that was never drafted")?;
        item.version = version;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, published_at: i64, sales: u64, stars: u64) -> CatalogItem {
        CatalogItem {
            id: id.into(),
            kind: ContentKind::Article,
            title: id.into(),
            summary: String::new(),
            tags: vec!["rust".into()],
            language: "en".into(),
            creator_id: "u1".into(),
            price: Some(Money {
                amount_cents: 100 * sales,
                currency: "CNY".into(),
            }),
            stage: CatalogStage::Published,
            sales,
            rating_sum: stars,
            rating_count: u64::from(stars > 0),
            ratings: BTreeMap::new(),
            version: 0,
            drafted_at: Timestamp(0),
            published_at: Some(Timestamp(published_at)),
        }
    }

    fn view() -> CatalogView {
        let mut view = CatalogView::default();
        for i in [item("a", 1, 3, 4), item("b", 2, 1, 5), item("c", 3, 3, 0)] {
            view.orders.insert(&i);
            view.items.insert(i.id.clone(), i);
        }
        view
    }

    fn ids(page: &CatalogPage) -> Vec<&str> {
        page.items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn pages_follow_the_sort_and_the_cursor() {
        let view = view();
        let mut query = CatalogQuery {
            sort: CatalogSort::Sales,
            limit: 2,
            ..CatalogQuery::default()
        };
        let first = view.list(&query).expect("page");
        assert_eq!(ids(&first), ["a", "c"]);
        query.cursor = first.next_cursor;
        let second = view.list(&query).expect("page");
        assert_eq!(ids(&second), ["b"]);
        assert_eq!(second.next_cursor, None);
        query.sort = CatalogSort::Newest;
        assert_eq!(view.list(&query), Err(ListError::BadCursor(BadCursor)));
    }

    #[test]
    fn filters_and_other_sorts() {
        let view = view();
        let query = CatalogQuery {
            sort: CatalogSort::Rating,
            limit: 10,
            min_price: Some(200),
            ..CatalogQuery::default()
        };
        assert_eq!(ids(&view.list(&query).expect("page")), ["a", "c"]);
        let query = CatalogQuery {
            limit: 10,
            tag: Some("go".into()),
            ..CatalogQuery::default()
        };
        assert!(view.list(&query).expect("page").items.is_empty());
        let query = CatalogQuery {
            limit: 10,
            ..CatalogQuery::default()
        };
        assert_eq!(ids(&view.list(&query).expect("page")), ["c", "b", "a"]);
    }

    /// A catalog folded from real events: the index is kept by `apply`.
    fn searchable() -> CatalogView {
        use agora_events::domain::content::{
            Body, ContentDrafted, ContentEvent, ContentPublished, ContentPurchased, DraftEdited,
            PriceSet,
        };

        use super::super::content_stream::testing::Log;

        let mut log = Log::default();
        let mut view = CatalogView::default();
        let items = [
            ("a", "Rust actors", "Message passing", "en", 100),
            ("b", "Async Rust", "Futures and tasks", "en", 300),
            ("c", "Rust编程语言", "系统编程入门", "zh-CN", 200),
            ("d", "Cooking", "Pasta and rust-free pans", "en", 50),
        ];
        for (i, (id, title, summary, language, cents)) in items.into_iter().enumerate() {
            let at = i64::try_from(i).unwrap_or(0);
            let events = [
                ContentEvent::Drafted(ContentDrafted {
                    content_id: id.into(),
                    creator_id: "u1".into(),
                    kind: ContentKind::Article,
                    title: "placeholder".into(),
                    summary: summary.into(),
                    body: Body::Text("b".into()),
                    tags: vec![],
                    language: language.into(),
                    drafted_at: Timestamp(at),
                }),
                ContentEvent::DraftEdited(DraftEdited {
                    kind: None,
                    title: Some(title.into()),
                    summary: None,
                    body: None,
                    tags: None,
                    language: None,
                    edited_at: Timestamp(at),
                }),
                ContentEvent::PriceSet(PriceSet {
                    price: Money {
                        amount_cents: cents,
                        currency: "CNY".into(),
                    },
                    set_at: Timestamp(at),
                }),
                ContentEvent::Published(ContentPublished {
                    published_at: Timestamp(at),
                }),
            ];
            for event in &events {
                view.apply(&log.record(id, event)).expect("applies");
            }
        }
        let sale = ContentEvent::Purchased(ContentPurchased {
            buyer_id: "u2".into(),
            price: Money {
                amount_cents: 300,
                currency: "CNY".into(),
            },
            purchase_id: "p1".into(),
            purchased_at: Timestamp(9),
            partner_id: None,
            shares: Vec::new(),
        });
        view.apply(&log.record("b", &sale)).expect("applies");
        view
    }

    fn search(text: &str, sort: CatalogSort, limit: usize) -> CatalogQuery {
        CatalogQuery {
            text: Some(text.into()),
            sort,
            limit,
            ..CatalogQuery::default()
        }
    }

    #[test]
    fn search_ranks_by_relevance_and_keeps_filters_sorts_and_cursors() {
        let view = searchable();
        let found = view
            .list(&search("rust", CatalogSort::Relevance, 10))
            .expect("page");
        assert_eq!(ids(&found).len(), 4, "the edited titles are indexed");
        let old_title = search("placeholder", CatalogSort::Relevance, 10);
        assert!(view.list(&old_title).expect("page").items.is_empty());
        let by_sales = view
            .list(&search("rust", CatalogSort::Sales, 10))
            .expect("page");
        assert_eq!(ids(&by_sales)[0], "b");
        let mut query = search("rust", CatalogSort::Relevance, 10);
        query.language = Some("zh-cn".into());
        assert_eq!(ids(&view.list(&query).expect("page")), ["c"]);
        query.language = None;
        query.max_price = Some(150);
        let cheap_page = view.list(&query).expect("page");
        let mut cheap = ids(&cheap_page);
        cheap.sort_unstable();
        assert_eq!(cheap, ["a", "d"]);
        assert_eq!(
            ids(&view
                .list(&search("编程", CatalogSort::Relevance, 10))
                .expect("page")),
            ["c"]
        );

        let mut paged = Vec::new();
        let mut query = search("rust", CatalogSort::Relevance, 1);
        loop {
            let page = view.list(&query).expect("page");
            paged.extend(ids(&page).into_iter().map(String::from));
            match page.next_cursor {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, ids(&found));
    }

    #[test]
    fn a_restored_catalog_searches_like_the_live_one_and_encodes_the_same() {
        let live = searchable();
        let bytes = agora_events::codec::encode_payload(&live).expect("encodes");
        let restored: CatalogView = agora_events::codec::decode_payload(&bytes).expect("decodes");
        let query = search("rust", CatalogSort::Sales, 10);
        assert_eq!(
            ids(&restored.list(&query).expect("page")),
            ids(&live.list(&query).expect("page"))
        );
        assert_eq!(ids(&restored.list(&query).expect("page")).len(), 4);
        let again = agora_events::codec::encode_payload(&restored).expect("encodes");
        assert_eq!(bytes, again);
    }

    mod ordered_pages {
        use agora_events::domain::content::{
            Body, ContentDrafted, ContentEvent, ContentPublished, ContentPurchased, ContentRated,
            ContentUnpublished, PriceSet, PurchaseRefunded,
        };
        use proptest::prelude::*;

        use super::super::super::content_stream::testing::Log;
        use super::*;

        /// What happens to item `n % 6` at one step of a random history.
        #[derive(Clone, Debug)]
        enum Step {
            Publish(usize, i64),
            Unpublish(usize),
            Buy(usize, u8),
            Refund(usize, u8),
            Rate(usize, u8, u8),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                (0..6usize, 0..4i64).prop_map(|(i, t)| Step::Publish(i, t)),
                (0..6usize).prop_map(Step::Unpublish),
                (0..6usize, 0..4u8).prop_map(|(i, b)| Step::Buy(i, b)),
                (0..6usize, 0..4u8).prop_map(|(i, b)| Step::Refund(i, b)),
                (0..6usize, 0..4u8, 1..=5u8).prop_map(|(i, u, s)| Step::Rate(i, u, s)),
            ]
        }

        fn cny(cents: u64) -> Money {
            Money {
                amount_cents: cents,
                currency: "CNY".into(),
            }
        }

        /// A catalog of six items folded from `steps`, the way the runner
        /// folds the log (an event the aggregate would refuse is skipped).
        fn folded(steps: &[Step]) -> CatalogView {
            let mut log = Log::default();
            let mut view = CatalogView::default();
            let id = |i: usize| format!("i{i}");
            for i in 0..6 {
                let drafted = ContentEvent::Drafted(ContentDrafted {
                    content_id: id(i),
                    creator_id: format!("u{}", i % 2),
                    kind: if i % 3 == 0 {
                        ContentKind::Course
                    } else {
                        ContentKind::Article
                    },
                    title: id(i),
                    summary: String::new(),
                    body: Body::Text("b".into()),
                    tags: vec![],
                    language: "en".into(),
                    drafted_at: Timestamp(0),
                });
                let priced = ContentEvent::PriceSet(PriceSet {
                    price: cny(100 * i as u64),
                    set_at: Timestamp(0),
                });
                for event in [drafted, priced] {
                    view.apply(&log.record(&id(i), &event)).expect("applies");
                }
            }
            for (n, step) in steps.iter().enumerate() {
                let at = Timestamp(n as i64);
                let (i, event) = match step.clone() {
                    Step::Publish(i, t) => (
                        i,
                        ContentEvent::Published(ContentPublished {
                            published_at: Timestamp(t),
                        }),
                    ),
                    Step::Unpublish(i) => (
                        i,
                        ContentEvent::Unpublished(ContentUnpublished { unpublished_at: at }),
                    ),
                    Step::Buy(i, buyer) => (
                        i,
                        ContentEvent::Purchased(ContentPurchased {
                            buyer_id: format!("b{buyer}"),
                            price: cny(100),
                            purchase_id: format!("p{n}"),
                            purchased_at: at,
                            partner_id: None,
                            shares: Vec::new(),
                        }),
                    ),
                    Step::Refund(i, buyer) => (
                        i,
                        ContentEvent::PurchaseRefunded(PurchaseRefunded {
                            purchase_id: format!("p{n}"),
                            buyer_id: format!("b{buyer}"),
                            refunded_at: at,
                        }),
                    ),
                    Step::Rate(i, user, stars) => (
                        i,
                        ContentEvent::Rated(ContentRated {
                            user_id: format!("b{user}"),
                            stars,
                            rated_at: at,
                        }),
                    ),
                };
                view.apply(&log.record(&id(i), &event)).expect("applies");
            }
            view
        }

        /// The listing by brute force: every published match, sorted.
        fn reference(view: &CatalogView, query: &CatalogQuery) -> Vec<String> {
            let mut all: Vec<(Reverse<i64>, &String)> = view
                .items
                .values()
                .filter(|item| item.stage == CatalogStage::Published && matches(item, query))
                .map(|item| (Reverse(item.sort_key(query.sort)), &item.id))
                .collect();
            all.sort();
            all.into_iter().map(|(_, id)| id.clone()).collect()
        }

        fn sort() -> impl Strategy<Value = CatalogSort> {
            prop_oneof![
                Just(CatalogSort::Newest),
                Just(CatalogSort::Rating),
                Just(CatalogSort::Sales),
                Just(CatalogSort::Relevance),
            ]
        }

        proptest! {
            /// Walking the kept orders page by page lists exactly what
            /// filtering and sorting every item would, whatever happened to
            /// the items, and so does a catalog restored from its snapshot.
            #[test]
            fn paging_the_kept_orders_equals_sorting_everything(
                steps in proptest::collection::vec(step(), 0..60),
                sort in sort(),
                limit in 1..4usize,
                courses_only in any::<bool>(),
                creator in proptest::option::of(0..2u8),
            ) {
                let live = folded(&steps);
                let bytes = agora_events::codec::encode_payload(&live).expect("encodes");
                let restored: CatalogView =
                    agora_events::codec::decode_payload(&bytes).expect("decodes");
                let mut query = CatalogQuery {
                    sort,
                    limit,
                    kind: courses_only.then_some(ContentKind::Course),
                    creator: creator.map(|c| format!("u{c}")),
                    ..CatalogQuery::default()
                };
                let expected = reference(&live, &query);
                for view in [&live, &restored] {
                    query.cursor = None;
                    let mut listed = Vec::new();
                    loop {
                        let page = view.list(&query).expect("page");
                        prop_assert!(page.items.len() <= limit);
                        listed.extend(page.items.into_iter().map(|item| item.id));
                        match page.next_cursor {
                            Some(next) => query.cursor = Some(next),
                            None => break,
                        }
                    }
                    prop_assert_eq!(&listed, &expected);
                }
            }
        }
    }
}
