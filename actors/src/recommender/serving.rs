//! A published model version and the questions it answers: a user's
//! top-k (from their trained vector, a fold-in of their current
//! interactions, or popularity), explanations, and similar items.

use agora_events::domain::recommender::RecommenderModelTrained;

use crate::factorizer::{
    Contribution, InteractionMatrix, Model, ModelKind, Popularity, Scored, popularity_ranker,
};
use crate::projection::interactions::{InteractionWeights, InteractionsView};

/// Owned items listed per recommendation with `explain`.
const EXPLAINED_ITEMS: usize = 3;

/// Where a user's recommendations came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The user's vector from training.
    Model,
    /// A vector solved from the user's current interactions (the model
    /// had not seen them).
    FoldedIn,
    /// The most popular items (no interaction the model can use).
    Popular,
}

impl Source {
    /// `model`, `folded_in` or `popular`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::FoldedIn => "folded_in",
            Self::Popular => "popular",
        }
    }
}

/// One recommended item.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// The item's column in the interactions projection.
    pub col: usize,
    /// Its score (a predicted rating in explicit mode; the number of users
    /// who interacted with it for popularity).
    pub score: f32,
    /// With `explain`: the user's items that contributed most, largest
    /// first.
    pub because: Vec<Contribution>,
}

/// A user's recommendations.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendations {
    /// Where they came from.
    pub source: Source,
    /// Best first.
    pub items: Vec<Recommendation>,
}

/// A trained model as served, with the event that recorded it.
///
/// Guarantees: rows and columns are those of the interactions projection
/// at training time (the projection only appends rows and columns, so they
/// stay valid); everything answered comes from this one version.
#[derive(Debug)]
pub struct ServingModel {
    event: RecommenderModelTrained,
    model: Model,
    weights: InteractionWeights,
    /// Users with at least one cell in the training matrix.
    trained: Vec<bool>,
    popularity: Popularity,
    /// Users per item in the training matrix.
    item_users: Vec<u32>,
}

impl ServingModel {
    /// Wraps `model`, trained on `matrix` (built with `weights` in
    /// implicit mode) and recorded by `event`.
    pub fn new(
        event: RecommenderModelTrained,
        model: Model,
        matrix: &InteractionMatrix,
        weights: InteractionWeights,
    ) -> Self {
        let rows = matrix.user_items();
        let trained = (0..rows.rows())
            .map(|u| !rows.row(u).0.is_empty())
            .collect();
        let item_users = (0..matrix.items().len())
            .map(|i| matrix.item_users().row(i).0.len() as u32)
            .collect();
        Self {
            event,
            model,
            weights,
            trained,
            popularity: popularity_ranker(matrix),
            item_users,
        }
    }

    /// The version number.
    pub fn version(&self) -> u64 {
        self.event.version
    }

    /// The event that recorded this version.
    pub fn event(&self) -> &RecommenderModelTrained {
        &self.event
    }

    /// The factorization.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The `k` best items for `user`, best first, never one they own or
    /// rated (per `view`, the projection now) and only items `keep`
    /// accepts (e.g. on sale). With `explain`, each item lists the user's
    /// items that contributed most.
    ///
    /// Source: the trained vector if the model saw the user; else a
    /// fold-in of their current interactions; else popularity.
    pub fn recommend(
        &self,
        view: &InteractionsView,
        user: &str,
        k: usize,
        explain: bool,
        keep: impl Fn(usize) -> bool,
    ) -> Recommendations {
        let row = view.user_row(user);
        let seen = row.map(|r| view.seen(r)).unwrap_or_default();
        let (cols, weights) = row.map(|r| self.signals(view, r)).unwrap_or_default();
        let (source, scored) = match row {
            Some(r) if self.trained.get(r).copied().unwrap_or(false) => (
                Source::Model,
                self.top(k, &keep, |n| self.model.recommend(r, n, &seen)),
            ),
            _ => match self.model.fold_in(&cols, &weights) {
                Some((vector, _)) => (
                    Source::FoldedIn,
                    self.top(k, &keep, |n| self.model.recommend_vector(&vector, n, &seen)),
                ),
                None => {
                    let items = self
                        .popularity
                        .recommend(self.model.items(), &seen)
                        .into_iter()
                        .filter(|&i| keep(i))
                        .take(k)
                        .map(|item| Recommendation {
                            col: item,
                            score: self.item_users.get(item).copied().unwrap_or(0) as f32,
                            because: Vec::new(),
                        })
                        .collect();
                    return Recommendations {
                        source: Source::Popular,
                        items,
                    };
                }
            },
        };
        let items = scored
            .into_iter()
            .map(|s| Recommendation {
                col: s.item,
                score: s.score,
                because: if explain {
                    self.model.explain(&cols, &weights, s.item, EXPLAINED_ITEMS)
                } else {
                    Vec::new()
                },
            })
            .collect();
        Recommendations { source, items }
    }

    /// The `k` items most similar to column `col` (cosine of the factor
    /// vectors), most similar first, only items `keep` accepts. Empty for
    /// an item the model does not know.
    pub fn similar(&self, col: usize, k: usize, keep: impl Fn(usize) -> bool) -> Vec<Scored> {
        self.top(k, &keep, |n| self.model.similar_items(col, n))
    }

    /// Whether the model has a vector for column `col`.
    pub fn knows_item(&self, col: usize) -> bool {
        col < self.model.items()
    }

    /// The user's current signals the model can read: weights (ratings in
    /// explicit mode) on the items it knows.
    fn signals(&self, view: &InteractionsView, row: usize) -> (Vec<usize>, Vec<f32>) {
        let (cols, weights) = match self.model.kind() {
            ModelKind::Implicit(_) => view.implicit_row(row, &self.weights),
            ModelKind::Explicit(_) => view.rating_row(row),
        };
        cols.into_iter()
            .zip(weights)
            .filter(|&(c, _)| c < self.model.items())
            .unzip()
    }

    /// The first `k` of a ranking that `keep` accepts: asks `ranked` for
    /// more candidates (never every item at once unless needed) until `k`
    /// are kept or the ranking runs out.
    fn top(
        &self,
        k: usize,
        keep: &impl Fn(usize) -> bool,
        ranked: impl Fn(usize) -> Vec<Scored>,
    ) -> Vec<Scored> {
        let items = self.model.items();
        let mut want = k.saturating_mul(2).saturating_add(16).min(items);
        loop {
            let candidates = ranked(want);
            let exhausted = candidates.len() < want || want >= items;
            let kept: Vec<Scored> = candidates
                .into_iter()
                .filter(|s| keep(s.item))
                .take(k)
                .collect();
            if kept.len() >= k || exhausted {
                return kept;
            }
            want = want.saturating_mul(4).min(items);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use agora_events::Timestamp;
    use agora_events::domain::content::{ContentEvent, ContentPurchased, ContentRated, Money};

    use super::super::{RecommenderConfig, Trigger, train};
    use super::*;
    use crate::factorizer::ImplicitSettings;
    use crate::projection::Projection as _;
    use crate::projection::content_stream::testing::Log;

    /// A view where each `(user, item, stars)` bought and rated the item.
    pub(in super::super) fn view_of(cells: &[(&str, &str, u8)]) -> InteractionsView {
        let mut log = Log::default();
        let mut view = InteractionsView::default();
        for (n, &(user, item, stars)) in cells.iter().enumerate() {
            let bought = ContentEvent::Purchased(ContentPurchased {
                buyer_id: user.into(),
                price: Money {
                    amount_cents: 100,
                    currency: "CNY".into(),
                },
                purchase_id: format!("p{n}"),
                purchased_at: Timestamp(0),
                partner_id: None,
                shares: Vec::new(),
            });
            let rated = ContentEvent::Rated(ContentRated {
                user_id: user.into(),
                stars,
                rated_at: Timestamp(0),
            });
            for event in [bought, rated] {
                view.apply(&log.record(item, &event)).expect("applies");
            }
        }
        view
    }

    /// Two taste groups: rust fans and sql fans, five users each.
    fn groups() -> Vec<(String, &'static str)> {
        let mut cells = Vec::new();
        for u in 0..5 {
            for item in ["rust-1", "rust-2", "rust-3"] {
                cells.push((format!("r{u}"), item));
            }
            for item in ["sql-1", "sql-2", "sql-3"] {
                cells.push((format!("s{u}"), item));
            }
        }
        cells
    }

    fn trained(view: &InteractionsView) -> ServingModel {
        let config = RecommenderConfig {
            implicit: ImplicitSettings {
                factors: 4,
                iterations: 10,
                ..ImplicitSettings::default()
            },
            ..RecommenderConfig::default()
        };
        train(view, None, &config, 1, Trigger::Admin, || Timestamp(0)).expect("trains")
    }

    fn ids(view: &InteractionsView, recs: &Recommendations) -> Vec<String> {
        recs.items
            .iter()
            .filter_map(|r| view.item_id(r.col).map(str::to_owned))
            .collect()
    }

    #[test]
    fn a_known_user_gets_their_group_and_never_what_they_own() {
        let cells = groups();
        let mut partial: Vec<(&str, &str, u8)> =
            cells.iter().map(|(u, i)| (u.as_str(), *i, 5)).collect();
        // r0 has not met rust-3 yet.
        partial.retain(|&(u, i, _)| !(u == "r0" && i == "rust-3"));
        let view = view_of(&partial);
        let model = trained(&view);
        let recs = model.recommend(&view, "r0", 2, true, |_| true);
        assert_eq!(recs.source, Source::Model);
        let got = ids(&view, &recs);
        assert_eq!(got[0], "rust-3");
        assert!(!got.contains(&"rust-1".to_owned()), "owned: {got:?}");
        let because = &recs.items[0].because;
        assert!(!because.is_empty());
        assert!(
            because
                .iter()
                .all(|c| view.item_id(c.item).is_some_and(|i| i.starts_with("rust"))),
            "rust items explain rust-3"
        );
        // `keep` filters: rust-3 refused, something else comes.
        let rust3 = view.item_col("rust-3").expect("column");
        let kept = model.recommend(&view, "r0", 2, false, |c| c != rust3);
        assert!(kept.items.iter().all(|r| r.col != rust3));
        assert_eq!(kept.items.len(), 2);
    }

    #[test]
    fn an_unseen_user_is_folded_in_and_a_stranger_gets_popular_items() {
        let cells = groups();
        let all: Vec<(&str, &str, u8)> = cells.iter().map(|(u, i)| (u.as_str(), *i, 5)).collect();
        let view = view_of(&all);
        let model = trained(&view);
        // A new sql fan arrives after training.
        let mut later = all.clone();
        later.push(("newbie", "sql-1", 5));
        let view = view_of(&later);
        let recs = model.recommend(&view, "newbie", 2, false, |_| true);
        assert_eq!(recs.source, Source::FoldedIn);
        let got = ids(&view, &recs);
        assert!(got.iter().all(|i| i.starts_with("sql-")), "{got:?}");
        assert!(!got.contains(&"sql-1".to_owned()));
        let stranger = model.recommend(&view, "nobody", 3, true, |_| true);
        assert_eq!(stranger.source, Source::Popular);
        assert_eq!(stranger.items.len(), 3);
        assert!(stranger.items.iter().all(|r| r.because.is_empty()));
    }

    #[test]
    fn similar_items_are_of_the_same_group() {
        let cells = groups();
        let all: Vec<(&str, &str, u8)> = cells.iter().map(|(u, i)| (u.as_str(), *i, 5)).collect();
        let view = view_of(&all);
        let model = trained(&view);
        let col = view.item_col("sql-2").expect("column");
        let similar = model.similar(col, 2, |_| true);
        let names: Vec<&str> = similar
            .iter()
            .filter_map(|s| view.item_id(s.item))
            .collect();
        assert_eq!(names.len(), 2);
        assert!(
            names.iter().all(|n| n.starts_with("sql-") && *n != "sql-2"),
            "{names:?}"
        );
        assert!(model.knows_item(col));
        assert!(!model.knows_item(99));
        assert!(model.similar(99, 2, |_| true).is_empty());
    }
}
