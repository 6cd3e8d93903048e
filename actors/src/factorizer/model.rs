//! A trained model and every question asked of it: top-k recommendations,
//! batched scoring, similar items, fold-in of unseen users and explanations.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::dense::{Factors, cholesky_solve, dot, gemm_into, gram};
use super::explicit::{ExplicitSettings, row_system};
use super::implicit::ImplicitSettings;
use super::topk::top_k;

/// Which algorithm trained a model, with its settings.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelKind {
    /// Implicit-feedback ALS: scores are `x_u·y_i`.
    Implicit(ImplicitSettings),
    /// Explicit-rating ALS: scores are predicted ratings
    /// `μ + b_u + b_i + x_u·y_i`.
    Explicit(ExplicitSettings),
}

/// An item and its score, as returned by the ranking queries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// The item's column.
    pub item: usize,
    /// Its score (higher is better).
    pub score: f32,
}

/// How much one of the user's items contributed to a recommended item's
/// score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contribution {
    /// The user's item (a column).
    pub item: usize,
    /// Its share of the score; the shares of all the user's items add up to
    /// the score (less the biases, in explicit mode).
    pub contribution: f32,
}

/// Users scored per GEMM call in [`Model::recommend_batch`].
const SCORE_BATCH: usize = 256;

/// A trained factorization.
///
/// Guarantees: `user_factors().k() == item_factors().k()`; in implicit mode
/// the biases are all zero.
#[derive(Clone, Debug)]
pub struct Model {
    kind: ModelKind,
    users: Factors,
    items: Factors,
    mean: f32,
    user_bias: Vec<f32>,
    item_bias: Vec<f32>,
    /// `YᵀY + λI` for implicit fold-in and explanations (empty otherwise).
    item_gram: Vec<f32>,
    item_norms: Vec<f32>,
}

impl Model {
    /// A model from trained factors, without biases.
    pub fn new(kind: ModelKind, users: Factors, items: Factors) -> Self {
        let item_gram = match &kind {
            ModelKind::Implicit(s) => gram(&items, s.regularization),
            ModelKind::Explicit(_) => Vec::new(),
        };
        let item_norms = (0..items.rows())
            .map(|i| dot(items.row(i), items.row(i)).sqrt())
            .collect();
        Self {
            kind,
            user_bias: vec![0.0; users.rows()],
            item_bias: vec![0.0; items.rows()],
            users,
            items,
            mean: 0.0,
            item_gram,
            item_norms,
        }
    }

    /// Sets the global mean and the biases (explicit mode); bias vectors of
    /// the wrong length are ignored.
    pub(crate) fn set_biases(&mut self, mean: f32, user_bias: Vec<f32>, item_bias: Vec<f32>) {
        self.mean = mean;
        if user_bias.len() == self.users.rows() {
            self.user_bias = user_bias;
        }
        if item_bias.len() == self.items.rows() {
            self.item_bias = item_bias;
        }
    }

    /// The algorithm and settings that trained this model.
    pub fn kind(&self) -> &ModelKind {
        &self.kind
    }

    /// One row of factors per user.
    pub fn user_factors(&self) -> &Factors {
        &self.users
    }

    /// One row of factors per item.
    pub fn item_factors(&self) -> &Factors {
        &self.items
    }

    /// Number of items (columns) the model knows.
    pub fn items(&self) -> usize {
        self.items.rows()
    }

    /// Number of users (rows) the model knows.
    pub fn users(&self) -> usize {
        self.users.rows()
    }

    /// The score of `item` for `user` (a predicted rating in explicit mode);
    /// 0 if either is out of range.
    pub fn predict(&self, user: usize, item: usize) -> f32 {
        if user >= self.users() || item >= self.items() {
            return 0.0;
        }
        self.mean
            + self.user_bias[user]
            + self.item_bias[item]
            + dot(self.users.row(user), self.items.row(item))
    }

    /// The `k` best items for `user`, best first, leaving out `skip` (sorted
    /// ascending, e.g. the user's row of the interaction matrix). Empty for
    /// an unknown user.
    pub fn recommend(&self, user: usize, k: usize, skip: &[usize]) -> Vec<Scored> {
        if user >= self.users() {
            return Vec::new();
        }
        self.recommend_vector(self.users.row(user), k, skip)
    }

    /// The `k` best items for a user given by their factor vector (e.g. from
    /// [`Model::fold_in`]), leaving out `skip` (sorted ascending).
    pub fn recommend_vector(&self, user: &[f32], k: usize, skip: &[usize]) -> Vec<Scored> {
        let scores: Vec<f32> = (0..self.items())
            .map(|i| dot(user, self.items.row(i)) + self.item_bias[i])
            .collect();
        to_scored(top_k(&scores, k, |i| skip.binary_search(&i).is_ok()))
    }

    /// [`Model::recommend`] for many users at once: scores are computed
    /// `SCORE_BATCH` users at a time as one GEMM (`U_b · Yᵀ`), and the
    /// batches run in parallel. `skip(user)` gives each user's items to
    /// leave out (sorted ascending). Unknown users get an empty list.
    pub fn recommend_batch<'a>(
        &self,
        users: &[usize],
        k: usize,
        skip: impl Fn(usize) -> &'a [usize] + Sync,
    ) -> Vec<Vec<Scored>> {
        let f = self.users.k();
        let n = self.items();
        let Ok(items_t) = ArrayView2::from_shape((n, f), self.items.as_slice()) else {
            return vec![Vec::new(); users.len()];
        };
        let items_t = items_t.reversed_axes();
        users
            .par_chunks(SCORE_BATCH)
            .flat_map_iter(|batch| {
                let known: Vec<usize> = batch
                    .iter()
                    .map(|&u| u.min(self.users().saturating_sub(1)))
                    .collect();
                let mut block = Vec::with_capacity(known.len() * f);
                for &u in &known {
                    block.extend_from_slice(self.users.row(u));
                }
                let mut scores = vec![0.0f32; known.len() * n];
                if let Ok(left) = ArrayView2::from_shape((known.len(), f), &block[..]) {
                    gemm_into(&left, &items_t, &mut scores);
                }
                batch
                    .iter()
                    .zip(scores.chunks_exact(n.max(1)))
                    .map(|(&u, row)| {
                        if u >= self.users() {
                            return Vec::new();
                        }
                        let row: Vec<f32> = row
                            .iter()
                            .zip(&self.item_bias)
                            .map(|(s, b)| s + b)
                            .collect();
                        let own = skip(u);
                        to_scored(top_k(&row, k, |i| own.binary_search(&i).is_ok()))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The `k` items most similar to `item` by cosine of their factor
    /// vectors, most similar first, without `item` itself. Empty for an
    /// unknown item or one with a zero vector.
    pub fn similar_items(&self, item: usize, k: usize) -> Vec<Scored> {
        if item >= self.items() || self.item_norms[item] == 0.0 {
            return Vec::new();
        }
        let target = self.items.row(item);
        let norm = self.item_norms[item];
        let scores: Vec<f32> = (0..self.items())
            .map(|j| match self.item_norms[j] {
                0.0 => f32::NEG_INFINITY,
                nj => dot(target, self.items.row(j)) / (norm * nj),
            })
            .collect();
        let zero = |j: usize| j == item || self.item_norms[j] == 0.0;
        to_scored(top_k(&scores, k, zero))
    }

    /// The factor vector (and bias, 0 in implicit mode) of a user the model
    /// has not seen, from their interactions `(columns, weights)` — one
    /// exact least-squares solve with the item factors fixed, the same
    /// problem a training sweep solves. `None` if they have no known item.
    pub fn fold_in(&self, cols: &[usize], weights: &[f32]) -> Option<(Vec<f32>, f32)> {
        let (mut a, mut b, _) = self.user_system(cols, weights)?;
        if !cholesky_solve(&mut a, &mut b) {
            return None;
        }
        let k = self.users.k();
        let bias = b.get(k).map_or(0.0, |&v| v as f32);
        Some((b[..k].iter().map(|&v| v as f32).collect(), bias))
    }

    /// Which of a user's items (`cols`, `weights`) contributed most to
    /// `item`'s score, at most `n`, largest first.
    ///
    /// With the user's vector written as the solve `x_u = A_u⁻¹ Σ_j t_j y_j`
    /// (Hu et al. 2008, §5), item `j` contributes `t_j · y_jᵀ A_u⁻¹ y_i`; the
    /// contributions add up to the folded-in user's score for `item`.
    pub fn explain(
        &self,
        cols: &[usize],
        weights: &[f32],
        item: usize,
        n: usize,
    ) -> Vec<Contribution> {
        if item >= self.items() {
            return Vec::new();
        }
        let Some((mut a, _, targets)) = self.user_system(cols, weights) else {
            return Vec::new();
        };
        let mut w = self.augmented(item);
        if !cholesky_solve(&mut a, &mut w) {
            return Vec::new();
        }
        let shares: Vec<f32> = targets
            .iter()
            .map(|&(j, t)| {
                let yj = self.augmented(j);
                (t * yj.iter().zip(&w).map(|(p, q)| p * q).sum::<f64>()) as f32
            })
            .collect();
        top_k(&shares, n, |_| false)
            .into_iter()
            .map(|(pos, contribution)| Contribution {
                item: targets[pos].0,
                contribution,
            })
            .collect()
    }

    /// Item `i`'s vector as the user solve sees it: `y_i`, plus a trailing 1
    /// for the bias in explicit mode.
    fn augmented(&self, item: usize) -> Vec<f64> {
        let mut v: Vec<f64> = self.items.row(item).iter().map(|&x| f64::from(x)).collect();
        if matches!(self.kind, ModelKind::Explicit(_)) {
            v.push(1.0);
        }
        v
    }

    /// The normal equations `A x = b` of one user, and the per-item targets
    /// `t_j` with `b = Σ_j t_j y_j`. Unknown columns are ignored.
    fn user_system(&self, cols: &[usize], weights: &[f32]) -> Option<UserSystem> {
        let known = || {
            cols.iter()
                .zip(weights)
                .filter(|&(&i, _)| i < self.items())
                .map(|(&i, &w)| (i, w))
        };
        match &self.kind {
            ModelKind::Implicit(s) => {
                let k = self.items.k();
                let mut a: Vec<f64> = self.item_gram.iter().map(|&v| f64::from(v)).collect();
                let mut b = vec![0.0f64; k];
                let mut targets = Vec::new();
                for (i, w) in known() {
                    let c = 1.0 + f64::from(s.alpha) * f64::from(w);
                    let yi = self.items.row(i);
                    for r in 0..k {
                        b[r] += c * f64::from(yi[r]);
                        for q in 0..k {
                            a[r * k + q] += (c - 1.0) * f64::from(yi[r]) * f64::from(yi[q]);
                        }
                    }
                    targets.push((i, c));
                }
                (!targets.is_empty()).then_some((a, b, targets))
            }
            ModelKind::Explicit(s) => {
                let targets: Vec<(usize, f64)> = known()
                    .map(|(i, r)| (i, f64::from(r - self.mean - self.item_bias[i])))
                    .collect();
                let (a, b) = row_system(
                    targets.iter().map(|&(i, t)| (i, t as f32)),
                    &self.items,
                    s.regularization,
                )?;
                Some((a, b, targets))
            }
        }
    }
}

/// One user's normal equations `A x = b` (row-major `A`, then `b`) and
/// the per-item targets `t_j` with `b = Σ_j t_j y_j`.
type UserSystem = (Vec<f64>, Vec<f64>, Vec<(usize, f64)>);

fn to_scored(pairs: Vec<(usize, f32)>) -> Vec<Scored> {
    pairs
        .into_iter()
        .map(|(item, score)| Scored { item, score })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factorizer::{InteractionMatrix, fit_explicit, fit_implicit};

    fn clustered() -> InteractionMatrix {
        // Two taste groups: users 0..20 like items 0..10, users 20..40 like
        // items 10..20; each user misses a few of their group's items.
        let mut b = InteractionMatrix::builder();
        for u in 0..40usize {
            let base = if u < 20 { 0 } else { 10 };
            for i in 0..10usize {
                if (u + i) % 5 != 0 {
                    b.push(
                        &format!("u{u}"),
                        &format!("i{}", base + i),
                        1.0 + (i % 3) as f32,
                    );
                }
            }
        }
        b.build()
    }

    fn implicit_model(m: &InteractionMatrix) -> Model {
        let s = ImplicitSettings {
            factors: 8,
            iterations: 10,
            alpha: 5.0,
            ..Default::default()
        };
        fit_implicit(m, &s).expect("fit")
    }

    #[test]
    fn recommendations_skip_owned_items_and_stay_in_the_users_group() {
        let m = clustered();
        let model = implicit_model(&m);
        let u = m.users().index("u3").expect("user");
        let (owned, _) = m.user_items().row(u);
        let recs = model.recommend(u, 2, owned);
        assert_eq!(recs.len(), 2);
        for r in &recs {
            assert!(!owned.contains(&r.item));
            let id = m.items().id(r.item).expect("item");
            let n: usize = id[1..].parse().expect("number");
            assert!(n < 10, "recommended {id} from the other group");
        }
        assert!(recs[0].score >= recs[1].score);
    }

    #[test]
    fn batched_scoring_matches_one_user_at_a_time() {
        let m = clustered();
        let model = implicit_model(&m);
        let users: Vec<usize> = (0..m.users().len()).collect();
        let rows = m.user_items();
        let batch = model.recommend_batch(&users, 5, |u| rows.row(u).0);
        for &u in &users {
            let single = model.recommend(u, 5, rows.row(u).0);
            let items = |v: &[Scored]| v.iter().map(|s| s.item).collect::<Vec<_>>();
            assert_eq!(items(&batch[u]), items(&single));
            for (a, b) in batch[u].iter().zip(&single) {
                assert!((a.score - b.score).abs() < 1e-4);
            }
        }
        assert!(
            model
                .recommend_batch(&[999], 5, |_| &[])
                .remove(0)
                .is_empty()
        );
    }

    #[test]
    fn similar_items_are_from_the_same_group_and_exclude_the_item() {
        let m = clustered();
        let model = implicit_model(&m);
        let i = m.items().index("i12").expect("item");
        let similar = model.similar_items(i, 3);
        assert_eq!(similar.len(), 3);
        for s in similar {
            assert_ne!(s.item, i);
            let n: usize = m.items().id(s.item).expect("id")[1..]
                .parse()
                .expect("number");
            assert!(n >= 10);
            assert!(s.score <= 1.0 + 1e-5);
        }
    }

    #[test]
    fn folding_in_a_training_user_gives_about_their_trained_factors() {
        let m = clustered();
        let s = ImplicitSettings {
            factors: 6,
            iterations: 30,
            alpha: 5.0,
            cg_steps: 6,
            ..Default::default()
        };
        let model = fit_implicit(&m, &s).expect("fit");
        for u in [0, 7, 25] {
            let (cols, weights) = m.user_items().row(u);
            let (x, bias) = model.fold_in(cols, weights).expect("fold-in");
            assert_eq!(bias, 0.0);
            let trained = model.user_factors().row(u);
            let diff: f32 = x
                .iter()
                .zip(trained)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f32>()
                .sqrt();
            let norm = dot(trained, trained).sqrt();
            assert!(diff <= 0.05 * norm + 1e-4, "user {u}: {x:?} vs {trained:?}");
        }
        assert!(model.fold_in(&[], &[]).is_none());
    }

    #[test]
    fn explanations_add_up_to_the_folded_in_score() {
        let m = clustered();
        let model = implicit_model(&m);
        let (cols, weights) = m.user_items().row(4);
        let (x, _) = model.fold_in(cols, weights).expect("fold-in");
        let item = model.recommend_vector(&x, 1, cols)[0].item;
        let all = model.explain(cols, weights, item, cols.len());
        assert_eq!(all.len(), cols.len());
        let total: f32 = all.iter().map(|c| c.contribution).sum();
        let score = dot(&x, model.item_factors().row(item));
        assert!(
            (total - score).abs() < 1e-3 * score.abs().max(1.0),
            "{total} vs {score}"
        );
        assert!(
            all.windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
        assert_eq!(model.explain(cols, weights, item, 2).len(), 2);
    }

    #[test]
    fn explicit_fold_in_reproduces_the_trained_bias_and_factors() {
        let m = clustered();
        let s = ExplicitSettings {
            factors: 4,
            iterations: 20,
            regularization: 0.1,
            seed: 3,
        };
        let model = fit_explicit(&m, &s).expect("fit");
        let (cols, ratings) = m.user_items().row(5);
        let (x, bias) = model.fold_in(cols, ratings).expect("fold-in");
        // The last user sweep was followed by an item sweep, so the fold-in
        // is close but not identical: compare predictions.
        for &i in cols {
            let folded =
                model.mean + bias + model.item_bias[i] + dot(&x, model.item_factors().row(i));
            assert!(
                (folded - model.predict(5, i)).abs() < 0.25,
                "{folded} vs {}",
                model.predict(5, i)
            );
        }
    }
}
