//! The exact global assignment: maximise Σ p_ij x_ij over requirements ×
//! bidding vendors, each vendor within its remaining capacity, each
//! requirement at most one vendor.
//!
//! ## The method: successive shortest paths with potentials
//!
//! The problem is a min-cost flow: one unit leaves each requirement, goes
//! to a vendor it has a bid from (cost `SCALE − w_ij`, where `w_ij` is the
//! score in millionths, [`SCALE`] = 10^6) or straight to the sink through
//! a private "unassigned" edge (cost `SCALE`, gain 0), and each vendor
//! passes at most its capacity to the sink. Every requirement sends its
//! unit, so the cost is `R·SCALE − Σ w`: the cheapest flow is the largest
//! total score, and a requirement is left unassigned exactly when no
//! augmenting path gains anything by assigning it. All costs are
//! non-negative integers, so the answer is exact (no floating-point ties).
//!
//! Requirements are added one at a time, as in the Hungarian method: a
//! Dijkstra search with reduced costs (Johnson potentials) from the new
//! requirement finds the cheapest augmenting path, which may move earlier
//! requirements to other vendors. The search stops when it reaches the
//! sink, and only the nodes it settled get their potentials changed (by
//! `d(x) − d(sink)`, which keeps every reduced cost ≥ 0), so one step
//! costs what the neighbourhood it explored costs, not the whole graph.
//! After requirement `k` the partial assignment is optimal for the first
//! `k` requirements (the invariant of successive shortest paths), so it is
//! optimal at the end. Time O(R · (E + N) log N) at worst; on the
//! benchmark instance (2,000 × 500, 40,000 bids) see `benches/RESULTS.md`.
//!
//! ## Why not the `pathfinding` crate
//!
//! `pathfinding` (4.x) offers `kuhn_munkres`, the O(n³) Hungarian method on
//! a dense square-or-wide matrix, and max-flow without costs. Here it would
//! need the capacity-expanded matrix (one column per unit of vendor
//! capacity, ~1,500 columns, plus one "unassigned" column per requirement
//! to allow leaving one out: 2,000 × 3,500 dense weights, 7 million cells
//! of which 0.6 % are bids) and Θ(n³) ≈ 10^10 steps — far beyond the one
//! second asked for. The `mcmf` crate (network simplex from LEMON, C++
//! built by `cc`) has had no release since 2018. The sparse
//! successive-shortest-path solver here only looks at real bids, in about
//! 250 lines with no dependency; the property tests check it against brute
//! force, and the benchmark against scipy's `linear_sum_assignment` on the
//! capacity-expanded matrix of the full instance (equal optima).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::greedy;

/// Scores are solved as integers in millionths: score 1.0 = `SCALE`.
pub const SCALE: i64 = 1_000_000;

/// Why an assignment problem is refused (400/422 to a caller: fix the input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// A requirement id is listed twice.
    #[error("requirement {0:?} is listed twice")]
    DuplicateRequirement(String),
    /// A vendor id is listed twice.
    #[error("vendor {0:?} is listed twice")]
    DuplicateVendor(String),
    /// A bid names a requirement that is not listed.
    #[error("a bid names requirement {0:?}, which is not listed")]
    UnknownRequirement(String),
    /// A bid names a vendor that is not listed.
    #[error("a bid names vendor {0:?}, which is not listed")]
    UnknownVendor(String),
    /// Two bids of one vendor on one requirement.
    #[error("vendor {vendor:?} has two bids on requirement {requirement:?}")]
    DuplicateBid {
        /// The requirement.
        requirement: String,
        /// The vendor.
        vendor: String,
    },
    /// A score outside [0, 1] (or not a number).
    #[error("the score of vendor {vendor:?} on requirement {requirement:?} is not within [0, 1]")]
    ScoreOutOfRange {
        /// The requirement.
        requirement: String,
        /// The vendor.
        vendor: String,
    },
    /// More requirements, vendors or bids than indices hold (2^32 − 1).
    #[error("the problem is too large")]
    TooLarge,
}

/// One bid of an indexed [`Instance`]: requirement and vendor by index,
/// the score in millionths (0..=[`SCALE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedBid {
    /// Index of the requirement.
    pub requirement: u32,
    /// Index of the vendor.
    pub vendor: u32,
    /// The score × 10^6.
    pub weight: i64,
}

/// A checked assignment problem by index: requirements `0..R`, vendors
/// with their remaining capacities, each requirement's bids (at most one
/// per vendor, weights within 0..=[`SCALE`]).
#[derive(Clone, Debug)]
pub struct Instance {
    capacities: Vec<u32>,
    /// Per requirement: (vendor, weight), in the order given.
    bids: Vec<Vec<(u32, i64)>>,
}

/// Per requirement, the chosen vendor and its weight (`None`: unassigned),
/// and the total weight. The answer of [`Instance::solve`] and
/// [`greedy::solve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// Σ weights of the chosen bids (millionths).
    pub total: i64,
    /// Per requirement index: `(vendor, weight)` or `None`.
    pub choice: Vec<Option<(u32, i64)>>,
}

impl Instance {
    /// Checks and builds an instance: every index in range, weights within
    /// 0..=[`SCALE`], no vendor twice on one requirement.
    pub fn new(
        requirements: usize,
        capacities: Vec<u32>,
        bids: impl IntoIterator<Item = IndexedBid>,
    ) -> Result<Self, IndexError> {
        if u32::try_from(requirements).is_err() || u32::try_from(capacities.len()).is_err() {
            return Err(IndexError::TooLarge);
        }
        let mut per_requirement: Vec<Vec<(u32, i64)>> = vec![Vec::new(); requirements];
        for (n, bid) in bids.into_iter().enumerate() {
            let list = per_requirement
                .get_mut(bid.requirement as usize)
                .ok_or(IndexError::Requirement(n))?;
            if bid.vendor as usize >= capacities.len() {
                return Err(IndexError::Vendor(n));
            }
            if !(0..=SCALE).contains(&bid.weight) {
                return Err(IndexError::Weight(n));
            }
            if list.iter().any(|&(v, _)| v == bid.vendor) {
                return Err(IndexError::Duplicate(n));
            }
            list.push((bid.vendor, bid.weight));
        }
        Ok(Instance {
            capacities,
            bids: per_requirement,
        })
    }

    /// Number of requirements.
    pub fn requirements(&self) -> usize {
        self.bids.len()
    }

    /// Remaining capacity per vendor.
    pub fn capacities(&self) -> &[u32] {
        &self.capacities
    }

    /// The bids of requirement `r`: `(vendor, weight)`.
    pub fn bids_of(&self, r: usize) -> &[(u32, i64)] {
        self.bids.get(r).map_or(&[], Vec::as_slice)
    }

    /// Number of bids.
    pub fn bid_count(&self) -> usize {
        self.bids.iter().map(Vec::len).sum()
    }

    /// The exact optimum (see the module docs): the largest Σ weight over
    /// assignments that respect every capacity and give each requirement at
    /// most one vendor, using only existing bids.
    pub fn solve(&self) -> Solution {
        Solver::new(self).run()
    }
}

/// Why an indexed instance is refused; the number is the bid's position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// Bid `n` names a requirement out of range.
    #[error("bid {0} names a requirement out of range")]
    Requirement(usize),
    /// Bid `n` names a vendor out of range.
    #[error("bid {0} names a vendor out of range")]
    Vendor(usize),
    /// Bid `n` has a weight outside 0..=SCALE.
    #[error("bid {0} has a weight outside 0..=SCALE")]
    Weight(usize),
    /// Bid `n` repeats a (requirement, vendor) pair.
    #[error("bid {0} repeats a requirement and vendor")]
    Duplicate(usize),
    /// More requirements or vendors than `u32` indices hold.
    #[error("too many requirements or vendors")]
    TooLarge,
}

const INF: i64 = i64::MAX / 4;

/// Successive shortest paths, one requirement at a time (module docs).
struct Solver<'a> {
    instance: &'a Instance,
    r_count: usize,
    /// Potentials: requirements `0..R`, vendors `R..R+V`, the sink last.
    potential: Vec<i64>,
    dist: Vec<i64>,
    parent: Vec<u32>,
    settled: Vec<bool>,
    touched: Vec<u32>,
    /// Per requirement: its vendor and weight.
    assigned: Vec<Option<(u32, i64)>>,
    /// Per vendor: requirements assigned to it.
    members: Vec<Vec<u32>>,
}

impl<'a> Solver<'a> {
    fn new(instance: &'a Instance) -> Self {
        let r_count = instance.requirements();
        let nodes = r_count + instance.capacities.len() + 1;
        Solver {
            instance,
            r_count,
            potential: vec![0; nodes],
            dist: vec![INF; nodes],
            parent: vec![u32::MAX; nodes],
            settled: vec![false; nodes],
            touched: Vec::new(),
            assigned: vec![None; r_count],
            members: vec![Vec::new(); instance.capacities.len()],
        }
    }

    fn sink(&self) -> usize {
        self.potential.len() - 1
    }

    fn run(mut self) -> Solution {
        for r in 0..self.r_count {
            self.add_requirement(r);
        }
        let total = self.assigned.iter().flatten().map(|&(_, w)| w).sum();
        Solution {
            total,
            choice: self.assigned,
        }
    }

    fn relax(
        &mut self,
        heap: &mut BinaryHeap<Reverse<(i64, u32)>>,
        from: usize,
        to: usize,
        d: i64,
    ) {
        if d < self.dist[to] {
            if self.dist[to] == INF {
                self.touched.push(to as u32);
            }
            self.dist[to] = d;
            self.parent[to] = from as u32;
            heap.push(Reverse((d, to as u32)));
        }
    }

    /// Dijkstra from requirement `start` to the sink on reduced costs, then
    /// the potential update and the augmentation along the path found.
    fn add_requirement(&mut self, start: usize) {
        let sink = self.sink();
        let r_count = self.r_count;
        let instance = self.instance;
        let mut heap = BinaryHeap::new();
        self.dist[start] = 0;
        self.touched.push(start as u32);
        heap.push(Reverse((0, start as u32)));
        let mut settled_order: Vec<u32> = Vec::new();
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if self.settled[u] || d > self.dist[u] {
                continue;
            }
            if u == sink {
                break;
            }
            self.settled[u] = true;
            settled_order.push(u as u32);
            let pu = self.potential[u];
            if u < r_count {
                // A requirement: forward to each vendor it bid on (not the
                // one it holds), or to the sink through "unassigned".
                let held = self.assigned[u].map(|(v, _)| v);
                for &(v, w) in instance.bids_of(u) {
                    if Some(v) == held {
                        continue;
                    }
                    let node = r_count + v as usize;
                    let nd = d + (SCALE - w) + pu - self.potential[node];
                    self.relax(&mut heap, u, node, nd);
                }
                let nd = d + SCALE + pu - self.potential[sink];
                self.relax(&mut heap, u, sink, nd);
            } else {
                // A vendor: to the sink if it has capacity left, or back
                // along the edge of each requirement it holds.
                let v = u - r_count;
                if (self.members[v].len() as u64) < u64::from(self.instance.capacities[v]) {
                    let nd = d + pu - self.potential[sink];
                    self.relax(&mut heap, u, sink, nd);
                }
                for k in 0..self.members[v].len() {
                    let r = self.members[v][k] as usize;
                    let w = self.assigned[r].map_or(0, |(_, w)| w);
                    let nd = d - (SCALE - w) + pu - self.potential[r];
                    self.relax(&mut heap, u, r, nd);
                }
            }
        }
        let dt = self.dist[sink];
        // Potentials: settled nodes move by d − d(sink) (≤ 0), the others
        // by 0 (they all have d ≥ d(sink)); reduced costs stay ≥ 0.
        for &x in &settled_order {
            let x = x as usize;
            self.potential[x] += self.dist[x] - dt;
        }
        self.augment(start);
        for &x in &self.touched {
            let x = x as usize;
            self.dist[x] = INF;
            self.settled[x] = false;
            self.parent[x] = u32::MAX;
        }
        self.touched.clear();
    }

    /// Flips the path from `start` to the sink found by the last search.
    fn augment(&mut self, start: usize) {
        let sink = self.sink();
        let r_count = self.r_count;
        let mut path = vec![sink];
        let mut node = sink;
        while node != start {
            node = self.parent[node] as usize;
            path.push(node);
        }
        path.reverse();
        for pair in path.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            match (a < r_count, b == sink) {
                // Requirement → sink: it stays unassigned.
                (true, true) => self.assigned[a] = None,
                // Requirement → vendor: it takes this vendor.
                (true, false) => {
                    let v = (b - r_count) as u32;
                    let w = self
                        .instance
                        .bids_of(a)
                        .iter()
                        .find(|&&(bv, _)| bv == v)
                        .map_or(0, |&(_, w)| w);
                    self.assigned[a] = Some((v, w));
                    self.members[v as usize].push(a as u32);
                }
                // Vendor → sink: one more unit of its capacity used (the
                // requirement before it was pushed into `members`).
                (false, true) => {}
                // Vendor → requirement: the requirement leaves this vendor.
                (false, false) => {
                    let list = &mut self.members[a - r_count];
                    if let Some(k) = list.iter().position(|&r| r as usize == b) {
                        list.swap_remove(k);
                    }
                }
            }
        }
    }
}

/// One vendor of an [`AssignmentRequest`] with the contracts it may still
/// take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorCapacity {
    /// The vendor.
    pub vendor_id: String,
    /// Contracts it may still take (capacity − open contracts).
    pub remaining_capacity: u32,
}

/// One scored bid of an [`AssignmentRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredBid {
    /// The requirement bid on.
    pub requirement_id: String,
    /// The bidding vendor.
    pub vendor_id: String,
    /// The bid's score p_ij in [0, 1].
    pub score: f64,
}

/// A batch tender: requirements, vendors with remaining capacity and the
/// scored bids between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    /// The open requirements to assign.
    pub requirements: Vec<String>,
    /// The vendors who bid on them, with remaining capacity.
    pub vendors: Vec<VendorCapacity>,
    /// Every bid, with its score.
    pub bids: Vec<ScoredBid>,
}

/// One requirement's chosen bid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AssignedRequirement {
    /// The requirement.
    pub requirement_id: String,
    /// The vendor whose bid is chosen.
    pub vendor_id: String,
    /// The bid's score, as solved (rounded to millionths).
    pub score: f64,
}

/// The optimum assignment, with the greedy total beside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AssignmentAnswer {
    /// Σ scores of the optimum (exact in millionths: `optimum_micros`).
    pub optimum: f64,
    /// The optimum in millionths of a score point.
    pub optimum_micros: i64,
    /// Σ scores of the greedy assignment (best remaining pair first).
    pub greedy_total: f64,
    /// The greedy total in millionths.
    pub greedy_total_micros: i64,
    /// `optimum − greedy_total` (≥ 0).
    pub gap: f64,
    /// Per assigned requirement, in the order listed: the chosen bid.
    pub assigned: Vec<AssignedRequirement>,
    /// Requirements left without a vendor, in the order listed.
    pub unassigned: Vec<String>,
}

/// A score in [0, 1] as millionths (rounded to nearest).
pub fn to_micros(score: f64) -> Option<i64> {
    if (0.0..=1.0).contains(&score) {
        Some((score * SCALE as f64).round() as i64)
    } else {
        None
    }
}

fn from_micros(micros: i64) -> f64 {
    micros as f64 / SCALE as f64
}

/// Checks a request, solves it exactly and greedily, and answers with ids.
pub fn solve(request: &AssignmentRequest) -> Result<AssignmentAnswer, AssignmentError> {
    if u32::try_from(request.requirements.len()).is_err()
        || u32::try_from(request.vendors.len()).is_err()
    {
        return Err(AssignmentError::TooLarge);
    }
    let mut requirement_index = HashMap::with_capacity(request.requirements.len());
    for (i, id) in request.requirements.iter().enumerate() {
        if requirement_index.insert(id.as_str(), i as u32).is_some() {
            return Err(AssignmentError::DuplicateRequirement(id.clone()));
        }
    }
    let mut vendor_index = HashMap::with_capacity(request.vendors.len());
    for (j, vendor) in request.vendors.iter().enumerate() {
        if vendor_index
            .insert(vendor.vendor_id.as_str(), j as u32)
            .is_some()
        {
            return Err(AssignmentError::DuplicateVendor(vendor.vendor_id.clone()));
        }
    }
    let mut seen = HashSet::with_capacity(request.bids.len());
    let mut bids = Vec::with_capacity(request.bids.len());
    for bid in &request.bids {
        let r = *requirement_index
            .get(bid.requirement_id.as_str())
            .ok_or_else(|| AssignmentError::UnknownRequirement(bid.requirement_id.clone()))?;
        let v = *vendor_index
            .get(bid.vendor_id.as_str())
            .ok_or_else(|| AssignmentError::UnknownVendor(bid.vendor_id.clone()))?;
        if !seen.insert((r, v)) {
            return Err(AssignmentError::DuplicateBid {
                requirement: bid.requirement_id.clone(),
                vendor: bid.vendor_id.clone(),
            });
        }
        let weight = to_micros(bid.score).ok_or_else(|| AssignmentError::ScoreOutOfRange {
            requirement: bid.requirement_id.clone(),
            vendor: bid.vendor_id.clone(),
        })?;
        bids.push(IndexedBid {
            requirement: r,
            vendor: v,
            weight,
        });
    }
    let capacities = request
        .vendors
        .iter()
        .map(|v| v.remaining_capacity)
        .collect();
    // Every index was checked above, so building cannot fail; map it anyway.
    let instance = Instance::new(request.requirements.len(), capacities, bids)
        .map_err(|_| AssignmentError::TooLarge)?;
    let optimum = instance.solve();
    let greedy = greedy::solve(&instance);
    let mut assigned = Vec::new();
    let mut unassigned = Vec::new();
    for (id, choice) in request.requirements.iter().zip(&optimum.choice) {
        match choice {
            Some((v, w)) => assigned.push(AssignedRequirement {
                requirement_id: id.clone(),
                vendor_id: request.vendors[*v as usize].vendor_id.clone(),
                score: from_micros(*w),
            }),
            None => unassigned.push(id.clone()),
        }
    }
    Ok(AssignmentAnswer {
        optimum: from_micros(optimum.total),
        optimum_micros: optimum.total,
        greedy_total: from_micros(greedy.total),
        greedy_total_micros: greedy.total,
        gap: from_micros(optimum.total - greedy.total),
        assigned,
        unassigned,
    })
}

/// Checks that `solution` is feasible for `instance`: only existing bids
/// with their weights, each vendor within capacity, and `total` the sum.
pub fn is_feasible(instance: &Instance, solution: &Solution) -> bool {
    if solution.choice.len() != instance.requirements() {
        return false;
    }
    let mut load = vec![0u64; instance.capacities().len()];
    let mut total = 0i64;
    for (r, choice) in solution.choice.iter().enumerate() {
        if let Some((v, w)) = *choice {
            if !instance.bids_of(r).contains(&(v, w)) {
                return false;
            }
            load[v as usize] += 1;
            total += w;
        }
    }
    total == solution.total
        && load
            .iter()
            .zip(instance.capacities())
            .all(|(l, c)| *l <= u64::from(*c))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The best total by trying every choice (none or one bid) per
    /// requirement within the capacities.
    fn brute_force(instance: &Instance) -> i64 {
        fn go(instance: &Instance, r: usize, load: &mut [u32]) -> i64 {
            if r == instance.requirements() {
                return 0;
            }
            let mut best = go(instance, r + 1, load);
            for &(v, w) in instance.bids_of(r) {
                let v = v as usize;
                if load[v] < instance.capacities()[v] {
                    load[v] += 1;
                    best = best.max(w + go(instance, r + 1, load));
                    load[v] -= 1;
                }
            }
            best
        }
        let mut load = vec![0; instance.capacities().len()];
        go(instance, 0, &mut load)
    }

    fn instance_strategy() -> impl Strategy<Value = Instance> {
        (1usize..=6, 1usize..=4).prop_flat_map(|(requirements, vendors)| {
            (
                proptest::collection::vec(0u32..=2, vendors),
                proptest::collection::vec(
                    proptest::collection::vec(proptest::option::of(0i64..=SCALE), vendors),
                    requirements,
                ),
            )
                .prop_map(move |(capacities, cells)| {
                    let bids = cells.iter().enumerate().flat_map(|(r, row)| {
                        row.iter().enumerate().filter_map(move |(v, w)| {
                            w.map(|weight| IndexedBid {
                                requirement: r as u32,
                                vendor: v as u32,
                                weight,
                            })
                        })
                    });
                    Instance::new(requirements, capacities, bids.collect::<Vec<_>>())
                        .expect("valid instance")
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn the_solver_finds_the_brute_force_optimum_and_greedy_never_beats_it(
            instance in instance_strategy()
        ) {
            let optimum = instance.solve();
            prop_assert!(is_feasible(&instance, &optimum));
            prop_assert_eq!(optimum.total, brute_force(&instance));
            let greedy = greedy::solve(&instance);
            prop_assert!(is_feasible(&instance, &greedy));
            prop_assert!(greedy.total <= optimum.total);
        }
    }

    #[test]
    fn the_optimum_moves_a_requirement_that_greedy_takes_first() {
        // Vendor 0 (capacity 1) is best for both; requirement 1 has no
        // other bid, so the optimum gives vendor 0 to requirement 1.
        let instance = Instance::new(
            2,
            vec![1, 1],
            [
                IndexedBid {
                    requirement: 0,
                    vendor: 0,
                    weight: 900_000,
                },
                IndexedBid {
                    requirement: 0,
                    vendor: 1,
                    weight: 800_000,
                },
                IndexedBid {
                    requirement: 1,
                    vendor: 0,
                    weight: 850_000,
                },
            ],
        )
        .expect("valid");
        let optimum = instance.solve();
        assert_eq!(optimum.total, 1_650_000);
        assert_eq!(optimum.choice, [Some((1, 800_000)), Some((0, 850_000))]);
        assert_eq!(greedy::solve(&instance).total, 900_000);
    }

    fn request() -> AssignmentRequest {
        AssignmentRequest {
            requirements: vec!["r-a".into(), "r-b".into(), "r-c".into()],
            vendors: vec![
                VendorCapacity {
                    vendor_id: "v-1".into(),
                    remaining_capacity: 1,
                },
                VendorCapacity {
                    vendor_id: "v-2".into(),
                    remaining_capacity: 1,
                },
            ],
            bids: vec![
                ScoredBid {
                    requirement_id: "r-a".into(),
                    vendor_id: "v-1".into(),
                    score: 0.9,
                },
                ScoredBid {
                    requirement_id: "r-a".into(),
                    vendor_id: "v-2".into(),
                    score: 0.8,
                },
                ScoredBid {
                    requirement_id: "r-b".into(),
                    vendor_id: "v-1".into(),
                    score: 0.85,
                },
            ],
        }
    }

    #[test]
    fn an_answer_names_the_chosen_bids_the_unassigned_and_the_greedy_gap() {
        let answer = solve(&request()).expect("solves");
        assert_eq!(answer.optimum_micros, 1_650_000);
        assert_eq!(answer.greedy_total_micros, 900_000);
        assert!((answer.gap - 0.75).abs() < 1e-9);
        assert_eq!(
            answer.assigned,
            [
                AssignedRequirement {
                    requirement_id: "r-a".into(),
                    vendor_id: "v-2".into(),
                    score: 0.8
                },
                AssignedRequirement {
                    requirement_id: "r-b".into(),
                    vendor_id: "v-1".into(),
                    score: 0.85
                },
            ]
        );
        assert_eq!(answer.unassigned, ["r-c"]);
    }

    #[test]
    fn bad_requests_are_refused_with_what_is_wrong() {
        let mut r = request();
        r.bids[0].score = 1.5;
        assert!(matches!(
            solve(&r),
            Err(AssignmentError::ScoreOutOfRange { .. })
        ));
        let mut r = request();
        r.bids[0].score = f64::NAN;
        assert!(matches!(
            solve(&r),
            Err(AssignmentError::ScoreOutOfRange { .. })
        ));
        let mut r = request();
        r.bids[1].vendor_id = "v-1".into();
        assert!(matches!(
            solve(&r),
            Err(AssignmentError::DuplicateBid { .. })
        ));
        let mut r = request();
        r.bids[0].vendor_id = "nobody".into();
        assert_eq!(
            solve(&r),
            Err(AssignmentError::UnknownVendor("nobody".into()))
        );
        let mut r = request();
        r.bids[0].requirement_id = "r-z".into();
        assert_eq!(
            solve(&r),
            Err(AssignmentError::UnknownRequirement("r-z".into()))
        );
        let mut r = request();
        r.requirements.push("r-a".into());
        assert_eq!(
            solve(&r),
            Err(AssignmentError::DuplicateRequirement("r-a".into()))
        );
        let mut r = request();
        r.vendors.push(r.vendors[0].clone());
        assert_eq!(
            solve(&r),
            Err(AssignmentError::DuplicateVendor("v-1".into()))
        );
    }

    #[test]
    fn an_empty_tender_has_an_empty_answer() {
        let answer = solve(&AssignmentRequest {
            requirements: vec![],
            vendors: vec![],
            bids: vec![],
        })
        .expect("solves");
        assert_eq!(answer.optimum_micros, 0);
        assert!(answer.assigned.is_empty() && answer.unassigned.is_empty());
    }
}
