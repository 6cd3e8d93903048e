//! The user × content interaction matrix the recommender trains on, folded
//! from the Content events.
//!
//! Each (user, item) cell keeps the raw signals — a live purchase (a refund
//! of that purchase clears it), the days checked in, the latest rating —
//! and the matrix is built from them when asked, with the weights of the
//! caller's [`InteractionWeights`], so changing a weight needs no replay.
//! Users and items get dense row and column numbers in the order their
//! first interaction appears in `$all`; numbers are never reused or moved,
//! so a model trained on an earlier matrix still names the same rows and
//! columns in a later one.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::domain::content::LazyContentEvent;
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};
use crate::factorizer::{IdIndex, InteractionMatrix, SparseRows};

/// How much each signal adds to a cell's implicit weight `w` (the model's
/// confidence is `1 + alpha · w`).
///
/// The defaults: a purchase, the strongest implicit signal (the user paid),
/// counts 1; each day checked in counts 0.1, so ten days of study weigh as
/// much as the purchase, capped at 30 days so a long daily habit on one
/// course does not drown everything else; a rating moves the weight by 0.5
/// per star away from the neutral 3, so 5 stars doubles a purchase and
/// 1 star cancels it. A cell whose weight ends at or below 0 is left out of
/// the matrix: the user showed no preference for it (the item is still
/// never recommended to them, as they own or rated it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionWeights {
    /// Weight of a live purchase.
    pub purchase: f32,
    /// Weight of each day checked in.
    pub check_in_per_day: f32,
    /// Days checked in that count at most.
    pub check_in_max_days: u32,
    /// Weight per star above 3 (and minus this per star below).
    pub rating_per_star: f32,
}

impl Default for InteractionWeights {
    fn default() -> Self {
        Self {
            purchase: 1.0,
            check_in_per_day: 0.1,
            check_in_max_days: 30,
            rating_per_star: 0.5,
        }
    }
}

impl InteractionWeights {
    /// Checks every weight is a finite number ≥ 0, naming the first that
    /// is not.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("purchase", self.purchase),
            ("check_in_per_day", self.check_in_per_day),
            ("rating_per_star", self.rating_per_star),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("weight {name} must be a finite number ≥ 0"));
            }
        }
        Ok(())
    }
}

/// What one user did with one item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The live purchase's id (`None`: not owned now).
    pub purchase: Option<String>,
    /// Days (since the epoch, UTC) checked in on the item.
    pub check_in_days: BTreeSet<u32>,
    /// The latest rating, 1 to 5.
    pub stars: Option<u8>,
}

impl Cell {
    /// The implicit weight of the cell under `w` (may be ≤ 0: no
    /// preference).
    pub fn weight(&self, w: &InteractionWeights) -> f32 {
        let mut weight = 0.0;
        if self.purchase.is_some() {
            weight += w.purchase;
        }
        let days = (self.check_in_days.len() as u32).min(w.check_in_max_days);
        weight += days as f32 * w.check_in_per_day;
        if let Some(stars) = self.stars {
            weight += (f32::from(stars) - 3.0) * w.rating_per_star;
        }
        weight
    }

    /// Whether the user owns or rated the item: it is never recommended
    /// to them.
    pub fn seen(&self) -> bool {
        self.purchase.is_some() || self.stars.is_some()
    }
}

/// The interaction matrix's raw cells and its dense indexes.
///
/// Guarantees: `user_row(user_id(r)) == Some(r)` for every row and the
/// same for columns; rows and columns only ever grow.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionsView {
    users: Vec<String>,
    user_rows: BTreeMap<String, u32>,
    items: Vec<String>,
    item_cols: BTreeMap<String, u32>,
    /// One map per user row: column → cell.
    rows: Vec<BTreeMap<u32, Cell>>,
    /// Interaction events folded in (purchases, refunds, ratings,
    /// check-ins): the recommender retrains after a number of them.
    changes: u64,
}

impl InteractionsView {
    /// The row of user `id`, if they interacted with anything.
    pub fn user_row(&self, id: &str) -> Option<usize> {
        self.user_rows.get(id).map(|&r| r as usize)
    }

    /// The column of item `id`, if anyone interacted with it.
    pub fn item_col(&self, id: &str) -> Option<usize> {
        self.item_cols.get(id).map(|&c| c as usize)
    }

    /// The user id of row `row`.
    pub fn user_id(&self, row: usize) -> Option<&str> {
        self.users.get(row).map(String::as_str)
    }

    /// The item id of column `col`.
    pub fn item_id(&self, col: usize) -> Option<&str> {
        self.items.get(col).map(String::as_str)
    }

    /// Number of user rows.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Number of item columns.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// Interaction events folded in so far.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// The cells of row `row` by column (empty for an unknown row).
    pub fn cells(&self, row: usize) -> impl Iterator<Item = (usize, &Cell)> {
        self.rows
            .get(row)
            .into_iter()
            .flatten()
            .map(|(&c, cell)| (c as usize, cell))
    }

    /// Columns the user owns or rated, ascending: what is never
    /// recommended to them.
    pub fn seen(&self, row: usize) -> Vec<usize> {
        self.cells(row)
            .filter(|(_, cell)| cell.seen())
            .map(|(c, _)| c)
            .collect()
    }

    /// The user's positive implicit weights `(columns, weights)`, columns
    /// ascending.
    pub fn implicit_row(&self, row: usize, w: &InteractionWeights) -> (Vec<usize>, Vec<f32>) {
        self.cells(row)
            .map(|(c, cell)| (c, cell.weight(w)))
            .filter(|&(_, weight)| weight > 0.0)
            .unzip()
    }

    /// The user's ratings `(columns, stars)`, columns ascending.
    pub fn rating_row(&self, row: usize) -> (Vec<usize>, Vec<f32>) {
        self.cells(row)
            .filter_map(|(c, cell)| cell.stars.map(|s| (c, f32::from(s))))
            .unzip()
    }

    /// The implicit matrix: every cell with a positive weight under `w`.
    pub fn implicit_matrix(&self, w: &InteractionWeights) -> InteractionMatrix {
        self.matrix(|row| self.implicit_row(row, w))
    }

    /// The explicit matrix: every rating, in stars.
    pub fn ratings_matrix(&self) -> InteractionMatrix {
        self.matrix(|row| self.rating_row(row))
    }

    /// Non-zero cells (positive implicit weight under `w`) in the matrix.
    pub fn implicit_cells(&self, w: &InteractionWeights) -> usize {
        (0..self.users())
            .map(|r| self.cells(r).filter(|(_, c)| c.weight(w) > 0.0).count())
            .sum()
    }

    fn matrix(&self, row_of: impl Fn(usize) -> (Vec<usize>, Vec<f32>)) -> InteractionMatrix {
        let mut indptr = Vec::with_capacity(self.users() + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        for row in 0..self.users() {
            let (cols, weights) = row_of(row);
            indices.extend(cols);
            data.extend(weights);
            indptr.push(indices.len());
        }
        let users: IdIndex = self.users.iter().collect();
        let items: IdIndex = self.items.iter().collect();
        let shape = (self.users(), self.items());
        // The rows come sorted and distinct from the ordered maps, so the
        // arrays are valid CSR; the fallback is never taken.
        let rows = SparseRows::from_csr(shape, indptr, indices, data)
            .unwrap_or_else(|| SparseRows::from_triplets(shape, &[]));
        InteractionMatrix::from_user_rows(users, items, rows)
            .unwrap_or_else(|| InteractionMatrix::builder().build())
    }

    fn cell_mut(&mut self, user: &str, item: &str) -> &mut Cell {
        let row = *self.user_rows.entry(user.to_owned()).or_insert_with(|| {
            self.users.push(user.to_owned());
            self.rows.push(BTreeMap::new());
            (self.users.len() - 1) as u32
        });
        let col = *self.item_cols.entry(item.to_owned()).or_insert_with(|| {
            self.items.push(item.to_owned());
            (self.items.len() - 1) as u32
        });
        self.rows[row as usize].entry(col).or_default()
    }

    fn existing_cell_mut(&mut self, user: &str, item: &str) -> Option<&mut Cell> {
        let row = *self.user_rows.get(user)? as usize;
        let col = *self.item_cols.get(item)?;
        self.rows.get_mut(row)?.get_mut(&col)
    }
}

impl Projection for InteractionsView {
    const NAME: &'static str = "interactions";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let Some((id, content)) = event.content() else {
            return Ok(());
        };
        match content {
            LazyContentEvent::Purchased(e) => {
                let e = e.get()?;
                self.cell_mut(&e.buyer_id, id).purchase = Some(e.purchase_id.clone());
            }
            LazyContentEvent::PurchaseRefunded(e) => {
                let e = e.get()?;
                if let Some(cell) = self.existing_cell_mut(&e.buyer_id, id)
                    && cell.purchase.as_deref() == Some(e.purchase_id.as_str())
                {
                    cell.purchase = None;
                }
            }
            LazyContentEvent::Rated(e) => {
                let e = e.get()?;
                self.cell_mut(&e.user_id, id).stars = Some(e.stars);
            }
            LazyContentEvent::CheckedIn(e) => {
                let e = e.get()?;
                self.cell_mut(&e.user_id, id).check_in_days.insert(e.day);
            }
            LazyContentEvent::Drafted(_)
            | LazyContentEvent::DraftEdited(_)
            | LazyContentEvent::PriceSet(_)
            | LazyContentEvent::Published(_)
            | LazyContentEvent::Unpublished(_)
            | LazyContentEvent::Retired(_)
            | LazyContentEvent::ReviewWritten(_)
            | LazyContentEvent::CommentPosted(_)
            | LazyContentEvent::AnswerMarked(_)
            | LazyContentEvent::ListedByPartner(_)
            | LazyContentEvent::DraftGenerated(_)
            | LazyContentEvent::Verified(_) => return Ok(()),
        }
        self.changes += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
