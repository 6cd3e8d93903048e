//! Offline ranking metrics over a held-out set, and the popularity
//! baseline to compare a model with.
//!
//! For each held-out user with at least one relevant item, the ranker's
//! top-k list (training items left out) is compared with the user's
//! held-out items `R`, `hits` being the items of the list in `R`:
//! - precision@k = hits / k;
//! - recall@k = hits / |R|;
//! - NDCG@k = Σ_{hit at rank r} 1/log₂(r+2), divided by the same sum for a
//!   perfect list (min(k, |R|) hits at the top);
//! - MAP@k = mean over users of Σ_{hit at rank r} precision@(r+1) / min(k, |R|).
//!
//! Each figure is the mean over users.

use serde::Serialize;

use super::matrix::InteractionMatrix;
use super::model::Model;

/// The held-out interactions, in the training matrix's index space.
#[derive(Clone, Debug, Default)]
pub struct HeldOut {
    users: Vec<(usize, Vec<usize>)>,
    dropped: usize,
}

impl HeldOut {
    /// Maps `(user, item)` id pairs onto `train`'s rows and columns. Pairs
    /// whose user or item the training data never saw cannot be
    /// recommended and are dropped (counted in [`HeldOut::dropped`]), as are
    /// pairs already in the training data.
    pub fn new<'a>(
        train: &InteractionMatrix,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut per_user: Vec<Vec<usize>> = vec![Vec::new(); train.users().len()];
        let mut dropped = 0;
        for (user, item) in pairs {
            match (train.users().index(user), train.items().index(item)) {
                (Some(u), Some(i)) if train.user_items().row(u).0.binary_search(&i).is_err() => {
                    per_user[u].push(i);
                }
                _ => dropped += 1,
            }
        }
        let users = per_user
            .into_iter()
            .enumerate()
            .filter(|(_, items)| !items.is_empty())
            .map(|(u, mut items)| {
                items.sort_unstable();
                items.dedup();
                (u, items)
            })
            .collect();
        Self { users, dropped }
    }

    /// The users with held-out items (rows of the training matrix).
    pub fn users(&self) -> Vec<usize> {
        self.users.iter().map(|(u, _)| *u).collect()
    }

    /// How many held-out pairs were dropped (unknown user or item, or
    /// already in training).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Number of held-out pairs kept.
    pub fn len(&self) -> usize {
        self.users.iter().map(|(_, items)| items.len()).sum()
    }

    /// Whether no pair was kept.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Mean ranking metrics at a cut-off `k`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RankingMetrics {
    /// The cut-off.
    pub k: usize,
    /// Mean precision@k.
    pub precision: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Mean average precision @k.
    pub map: f64,
    /// Users evaluated (with at least one held-out item).
    pub users: usize,
}

/// Scores ranked lists against `held_out`: `lists[n]` is the ranked list
/// (best first) for the n-th user of [`HeldOut::users`]; only the first
/// `k` entries count.
pub fn evaluate(held_out: &HeldOut, k: usize, lists: &[Vec<usize>]) -> RankingMetrics {
    let mut m = RankingMetrics {
        k,
        ..RankingMetrics::default()
    };
    if k == 0 {
        return m;
    }
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    for ((_, relevant), list) in held_out.users.iter().zip(lists) {
        let mut hits = 0usize;
        let (mut dcg, mut ap) = (0.0, 0.0);
        for (rank, item) in list.iter().take(k).enumerate() {
            if relevant.binary_search(item).is_ok() {
                hits += 1;
                dcg += discount(rank);
                ap += hits as f64 / (rank + 1) as f64;
            }
        }
        let ideal_hits = k.min(relevant.len());
        let idcg: f64 = (0..ideal_hits).map(discount).sum();
        m.precision += hits as f64 / k as f64;
        m.recall += hits as f64 / relevant.len() as f64;
        m.ndcg += dcg / idcg;
        m.map += ap / ideal_hits as f64;
        m.users += 1;
    }
    if m.users > 0 {
        let n = m.users as f64;
        m.precision /= n;
        m.recall /= n;
        m.ndcg /= n;
        m.map /= n;
    }
    m
}

/// Evaluates `model`'s top-k (training items of `train` left out), scoring
/// the users in batches.
pub fn evaluate_model(
    model: &Model,
    train: &InteractionMatrix,
    held_out: &HeldOut,
    k: usize,
) -> RankingMetrics {
    let rows = train.user_items();
    let lists: Vec<Vec<usize>> = model
        .recommend_batch(&held_out.users(), k, |u| rows.row(u).0)
        .into_iter()
        .map(|recs| recs.into_iter().map(|s| s.item).collect())
        .collect();
    evaluate(held_out, k, &lists)
}

/// The popularity baseline: items ranked by how many training users
/// interacted with them (ties by column).
#[derive(Clone, Debug)]
pub struct Popularity {
    ranked: Vec<usize>,
}

/// The popularity ranking of `train`'s items.
pub fn popularity_ranker(train: &InteractionMatrix) -> Popularity {
    let counts: Vec<f32> = (0..train.items().len())
        .map(|i| train.item_users().row(i).0.len() as f32)
        .collect();
    let mut ranked: Vec<usize> = (0..counts.len()).collect();
    ranked.sort_by(|&a, &b| counts[b].total_cmp(&counts[a]).then(a.cmp(&b)));
    Popularity { ranked }
}

impl Popularity {
    /// The `k` most popular items not in `skip` (sorted ascending).
    pub fn recommend(&self, k: usize, skip: &[usize]) -> Vec<usize> {
        self.ranked
            .iter()
            .copied()
            .filter(|i| skip.binary_search(i).is_err())
            .take(k)
            .collect()
    }

    /// Evaluates the baseline like [`evaluate_model`].
    pub fn evaluate(
        &self,
        train: &InteractionMatrix,
        held_out: &HeldOut,
        k: usize,
    ) -> RankingMetrics {
        let lists: Vec<Vec<usize>> = held_out
            .users()
            .into_iter()
            .map(|u| self.recommend(k, train.user_items().row(u).0))
            .collect();
        evaluate(held_out, k, &lists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train() -> InteractionMatrix {
        let mut b = InteractionMatrix::builder();
        for (u, i) in [
            ("a", "x"),
            ("a", "y"),
            ("b", "y"),
            ("c", "y"),
            ("c", "z"),
            ("b", "w"),
        ] {
            b.push(u, i, 1.0);
        }
        b.build()
    }

    #[test]
    fn metrics_of_a_hand_computed_case() {
        let t = train();
        let held = HeldOut::new(
            &t,
            [("a", "z"), ("a", "w"), ("b", "x"), ("zed", "x"), ("a", "x")],
        );
        assert_eq!(held.dropped(), 2);
        assert_eq!(held.len(), 3);
        let (z, w, x) = (2, 3, 0);
        // a: relevant {z, w}, list [w, q, z]; b: relevant {x}, list [z, y].
        let lists = vec![vec![w, 9, z], vec![z, 1]];
        let m = evaluate(&held, 2, &lists);
        let d = |r: usize| 1.0 / ((r + 2) as f64).log2();
        assert_eq!(m.users, 2);
        assert!((m.precision - (0.5 + 0.0) / 2.0).abs() < 1e-12);
        assert!((m.recall - (0.5 + 0.0) / 2.0).abs() < 1e-12);
        assert!((m.ndcg - (d(0) / (d(0) + d(1))) / 2.0).abs() < 1e-12);
        assert!((m.map - (1.0 / 2.0) / 2.0).abs() < 1e-12);
        let _ = x;
    }

    #[test]
    fn popularity_ranks_by_user_count_and_skips_owned_items() {
        let t = train();
        let pop = popularity_ranker(&t);
        let y = t.items().index("y").expect("y");
        assert_eq!(pop.recommend(1, &[]), vec![y]);
        let a = t.users().index("a").expect("a");
        assert!(!pop.recommend(4, t.user_items().row(a).0).contains(&y));
    }
}
