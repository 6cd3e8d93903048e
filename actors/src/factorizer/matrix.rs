//! The user × item interaction matrix: sparse rows in CSR form, both ways
//! round, with dense index maps between external ids and rows/columns.

use std::collections::HashMap;

use sprs::CsMat;

/// A dense index over external ids: the n-th distinct id seen gets index n.
///
/// Guarantees: `index(id(i)) == Some(i)` for every `i < len()`, and indexes
/// are assigned in first-seen order, so the same input order gives the same
/// indexes.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    ids: Vec<String>,
    positions: HashMap<String, usize>,
}

impl IdIndex {
    /// The index of `id`, assigning the next free one if it is new.
    pub fn intern(&mut self, id: &str) -> usize {
        if let Some(&index) = self.positions.get(id) {
            return index;
        }
        let index = self.ids.len();
        self.ids.push(id.to_owned());
        self.positions.insert(id.to_owned(), index);
        index
    }

    /// The index of `id`, if it has one.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// The id at `index`, if the index is in range.
    pub fn id(&self, index: usize) -> Option<&str> {
        self.ids.get(index).map(String::as_str)
    }

    /// How many ids are indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl<S: AsRef<str>> FromIterator<S> for IdIndex {
    /// Interns every id in order (repeats keep their first index).
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Self {
        let mut index = Self::default();
        for id in ids {
            index.intern(id.as_ref());
        }
        index
    }
}

/// A CSR matrix of `f32` weights with sorted, distinct column indexes in
/// every row (what [`CsMat::try_new`] checks).
#[derive(Clone, Debug)]
pub struct SparseRows {
    csr: CsMat<f32>,
}

impl SparseRows {
    /// Builds from `(row, column, weight)` triplets; weights of repeated
    /// cells are summed. Triplets outside `shape` are a caller bug and are
    /// skipped.
    pub fn from_triplets(shape: (usize, usize), triplets: &[(usize, usize, f32)]) -> Self {
        let (rows, cols) = shape;
        let mut sorted: Vec<(usize, usize, f32)> = triplets
            .iter()
            .copied()
            .filter(|&(r, c, _)| r < rows && c < cols)
            .collect();
        sorted.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; rows + 1];
        let mut indices = Vec::with_capacity(sorted.len());
        let mut data: Vec<f32> = Vec::with_capacity(sorted.len());
        let mut last: Option<(usize, usize)> = None;
        for (r, c, w) in sorted {
            if last == Some((r, c)) {
                if let Some(cell) = data.last_mut() {
                    *cell += w;
                }
                continue;
            }
            last = Some((r, c));
            indptr[r + 1] += 1;
            indices.push(c);
            data.push(w);
        }
        for r in 0..rows {
            indptr[r + 1] += indptr[r];
        }
        let csr = CsMat::try_new((rows, cols), indptr, indices, data)
            .unwrap_or_else(|_| CsMat::zero((rows, cols)));
        Self { csr }
    }

    /// Wraps CSR arrays: `indptr` has `rows + 1` non-decreasing offsets into
    /// `indices` (column indexes, ascending and distinct within each row,
    /// each below `cols`) and `data` (the weights). `None` if they break
    /// any of those rules.
    pub fn from_csr(
        shape: (usize, usize),
        indptr: Vec<usize>,
        indices: Vec<usize>,
        data: Vec<f32>,
    ) -> Option<Self> {
        CsMat::try_new(shape, indptr, indices, data)
            .ok()
            .map(|csr| Self { csr })
    }

    /// The transpose, also in CSR form (rows become columns).
    pub fn transpose(&self) -> Self {
        Self {
            csr: self.csr.transpose_view().to_csr(),
        }
    }

    /// Column indexes (ascending) and weights of row `row`; empty slices for
    /// a row out of range.
    pub fn row(&self, row: usize) -> (&[usize], &[f32]) {
        if row >= self.csr.rows() {
            return (&[], &[]);
        }
        let range = self.csr.indptr().outer_inds_sz(row);
        (&self.csr.indices()[range.clone()], &self.csr.data()[range])
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.csr.rows()
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.csr.cols()
    }

    /// Number of stored (non-zero) cells.
    pub fn nnz(&self) -> usize {
        self.csr.nnz()
    }

    /// The underlying `sprs` matrix.
    pub fn csr(&self) -> &CsMat<f32> {
        &self.csr
    }
}

/// The interactions as a user × item matrix and its item × user transpose,
/// with the id maps for both sides.
///
/// Guarantees: `user_items()` and `item_users()` hold the same cells,
/// transposed; row `u` belongs to `users().id(u)` and column `i` to
/// `items().id(i)`.
#[derive(Clone, Debug)]
pub struct InteractionMatrix {
    users: IdIndex,
    items: IdIndex,
    user_items: SparseRows,
    item_users: SparseRows,
}

impl InteractionMatrix {
    /// A builder collecting `(user, item, weight)` interactions.
    pub fn builder() -> InteractionsBuilder {
        InteractionsBuilder::default()
    }

    /// The matrix of `(row, column, weight)` cells over given indexes:
    /// row `r` is `users.id(r)`, column `c` is `items.id(c)`. Weights of
    /// repeated cells are summed; cells outside the indexes are skipped.
    pub fn from_triplets(users: IdIndex, items: IdIndex, triplets: &[(usize, usize, f32)]) -> Self {
        let user_items = SparseRows::from_triplets((users.len(), items.len()), triplets);
        Self::from_rows(users, items, user_items)
    }

    /// The matrix whose user rows are `user_items`; `None` unless its shape
    /// is `(users.len(), items.len())`.
    pub fn from_user_rows(users: IdIndex, items: IdIndex, user_items: SparseRows) -> Option<Self> {
        (user_items.rows() == users.len() && user_items.cols() == items.len())
            .then(|| Self::from_rows(users, items, user_items))
    }

    fn from_rows(users: IdIndex, items: IdIndex, user_items: SparseRows) -> Self {
        let item_users = user_items.transpose();
        Self {
            users,
            items,
            user_items,
            item_users,
        }
    }

    /// The user ids (rows).
    pub fn users(&self) -> &IdIndex {
        &self.users
    }

    /// The item ids (columns).
    pub fn items(&self) -> &IdIndex {
        &self.items
    }

    /// One row per user: the items they interacted with and the weights.
    pub fn user_items(&self) -> &SparseRows {
        &self.user_items
    }

    /// One row per item: the users who interacted with it and the weights.
    pub fn item_users(&self) -> &SparseRows {
        &self.item_users
    }
}

/// Collects interactions; [`InteractionsBuilder::build`] makes the matrix.
#[derive(Clone, Debug, Default)]
pub struct InteractionsBuilder {
    users: IdIndex,
    items: IdIndex,
    triplets: Vec<(usize, usize, f32)>,
}

impl InteractionsBuilder {
    /// Records that `user` interacted with `item` with `weight`; weights of
    /// repeated pairs are summed.
    pub fn push(&mut self, user: &str, item: &str, weight: f32) {
        let u = self.users.intern(user);
        let i = self.items.intern(item);
        self.triplets.push((u, i, weight));
    }

    /// The matrix of everything pushed so far.
    pub fn build(self) -> InteractionMatrix {
        InteractionMatrix::from_triplets(self.users, self.items, &self.triplets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_pairs_are_summed_and_the_transpose_matches() {
        let mut b = InteractionMatrix::builder();
        b.push("u1", "a", 1.0);
        b.push("u2", "b", 2.0);
        b.push("u1", "b", 3.0);
        b.push("u1", "a", 0.5);
        let m = b.build();
        assert_eq!(m.users().index("u1"), Some(0));
        assert_eq!(m.items().id(1), Some("b"));
        assert_eq!(
            m.user_items().row(0),
            (&[0usize, 1][..], &[1.5f32, 3.0][..])
        );
        assert_eq!(
            m.item_users().row(1),
            (&[0usize, 1][..], &[3.0f32, 2.0][..])
        );
        assert_eq!(m.user_items().nnz(), 3);
        assert_eq!(m.item_users().row(9), (&[][..], &[][..]));
    }
}
