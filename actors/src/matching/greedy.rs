//! The greedy assignment shown beside the optimum: take the best remaining
//! (requirement, vendor) pair first, while the requirement is free and the
//! vendor has capacity. Ties go to the lower requirement, then vendor,
//! index, so the answer is deterministic. It never beats the optimum
//! (checked against [`super::assignment::Instance::solve`] by property
//! tests) and is what a "best bid first" desk would do by hand.

use super::assignment::{Instance, Solution};

/// The greedy assignment of `instance` (pairs of weight 0 are left out:
/// they add nothing).
pub fn solve(instance: &Instance) -> Solution {
    let mut pairs: Vec<(i64, u32, u32)> = Vec::with_capacity(instance.bid_count());
    for r in 0..instance.requirements() {
        for &(v, w) in instance.bids_of(r) {
            if w > 0 {
                pairs.push((w, r as u32, v));
            }
        }
    }
    pairs.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut load = vec![0u32; instance.capacities().len()];
    let mut choice = vec![None; instance.requirements()];
    let mut total = 0i64;
    for (w, r, v) in pairs {
        let (r, vi) = (r as usize, v as usize);
        if choice[r].is_none() && load[vi] < instance.capacities()[vi] {
            choice[r] = Some((v, w));
            load[vi] += 1;
            total += w;
        }
    }
    Solution { total, choice }
}
