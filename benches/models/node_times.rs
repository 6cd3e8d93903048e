//! Per-node timing of a tract plan, shared by the profiling examples.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tract_onnx::prelude::*;

/// Time spent per operator kind and per node over the recorded runs.
#[derive(Default)]
pub(crate) struct NodeTimes {
    by_op: HashMap<String, (Duration, usize)>,
    by_node: HashMap<String, Duration>,
}

impl NodeTimes {
    /// Runs `state` on `inputs`, timing every node (recorded only when
    /// `record`, so warm-up or prefill runs can be left out).
    pub(crate) fn run(
        &mut self,
        state: &mut TypedSimpleState,
        inputs: TVec<TValue>,
        record: bool,
    ) -> TractResult<TVec<TValue>> {
        state.run_plan_with_eval(inputs, |ctx, op_state, node, input| {
            let started = Instant::now();
            let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, input);
            if record {
                let took = started.elapsed();
                let op = self.by_op.entry(node.op().name().to_string()).or_default();
                op.0 += took;
                op.1 += 1;
                *self.by_node.entry(node.name.clone()).or_default() += took;
            }
            out
        })
    }

    /// Prints the `ops` costliest operator kinds and the `nodes` slowest
    /// nodes, in milliseconds per `unit` (one of `runs` recorded runs).
    pub(crate) fn print(&self, unit: &str, runs: usize, ops: usize, nodes: usize) {
        let per = |d: Duration| d.as_secs_f64() * 1e3 / runs.max(1) as f64;
        let mut by_op: Vec<_> = self.by_op.iter().collect();
        by_op.sort_by_key(|(_, (d, _))| std::cmp::Reverse(*d));
        println!("\n{:<28} {:>10} {:>8}", "op", format!("ms/{unit}"), "nodes");
        for (op, (d, count)) in by_op.iter().take(ops) {
            println!("{op:<28} {:>10.3} {:>8}", per(*d), count / runs.max(1));
        }
        let mut by_node: Vec<_> = self.by_node.iter().collect();
        by_node.sort_by_key(|(_, d)| std::cmp::Reverse(**d));
        println!("\nslowest nodes (ms/{unit}):");
        for (name, d) in by_node.iter().take(nodes) {
            println!("{:>8.3}  {name}", per(**d));
        }
    }
}
