//! Small tract helpers shared by the embedder and the generator.

use std::path::Path;

use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::source::TypedSource;
use tract_onnx::tract_hir::internal::*;

use super::ModelError;

/// Replaces every node whose inputs are all constants by the constant it
/// evaluates to, whatever its size. tract's own constant propagation skips a
/// fold whose output is larger than its inputs (the int8 → f32 dequantization
/// of weights quadruples them), which leaves the dequantization in the
/// per-call graph and makes the int8 MiniLM several times slower.
///
/// Returns how many nodes were folded.
pub(crate) fn fold_constants(model: &mut TypedModel) -> TractResult<usize> {
    let mut folded = 0;
    loop {
        let mut applied = false;
        for id in model.eval_order()? {
            let node = model.node(id);
            if node.inputs.is_empty()
                || node.op_is::<Const>()
                || node.op_is::<TypedSource>()
                || node.outputs.iter().all(|o| o.successors.is_empty())
            {
                continue;
            }
            let inputs: Option<TVec<TValue>> = model
                .node_input_facts(id)?
                .iter()
                .map(|f| f.konst.clone().map(|k| k.into_tvalue()))
                .collect();
            let Some(inputs) = inputs else { continue };
            let Ok(Some(outputs)) = node.op.eval_out_of_plan(inputs) else {
                continue;
            };
            let mut patch = TypedModelPatch::default();
            for (ix, value) in outputs.into_iter().enumerate() {
                let wire = patch.add_const(
                    format!("{}.folded.{ix}", node.name),
                    value.into_arc_tensor(),
                )?;
                patch.shunt_outside(model, OutletId::new(id, ix), wire)?;
            }
            patch.apply(model)?;
            folded += 1;
            applied = true;
            break;
        }
        if !applied {
            return Ok(folded);
        }
    }
}

/// Optimizes `model` with tract and makes it runnable, with every constant
/// feeding a single node.
///
/// tract pre-packs a constant matrix operand at optimization time only when
/// nothing else reads that constant (or it is small). A tied output
/// projection shares its 49,152 × 576 weight with the token-embedding
/// `Gather`, so tract would pack it again on every call — more than half of
/// a decoder step. Giving each reader its own `Const` node (the same tensor,
/// not a copy) after decluttering lets the optimizer fold the packing once.
pub(crate) fn optimized_plan(mut model: TypedModel) -> TractResult<Arc<TypedSimplePlan>> {
    model.declutter()?;
    let unshared = unshare_constants(&mut model)?;
    tracing::debug!(unshared, "constant readers given their own node");
    model.optimize()?;
    model.into_runnable()
}

/// Gives every reader of a constant beyond the first its own `Const` node
/// holding the same tensor. Returns how many nodes were added.
fn unshare_constants(model: &mut TypedModel) -> TractResult<usize> {
    let mut added = 0;
    for id in 0..model.nodes().len() {
        let node = model.node(id);
        let Some(konst) = node.op_as::<Const>() else {
            continue;
        };
        let op = konst.clone();
        let fact = node.outputs[0].fact.clone();
        let name = node.name.clone();
        let readers: Vec<InletId> = node.outputs[0].successors.iter().skip(1).copied().collect();
        for (ix, inlet) in readers.into_iter().enumerate() {
            let copy = model.add_node(
                format!("{name}.reader.{ix}"),
                op.clone(),
                tvec!(fact.clone()),
            )?;
            model.add_edge(OutletId::new(copy, 0), inlet)?;
            added += 1;
        }
    }
    Ok(added)
}

/// Keeps only the named outputs of an ONNX model (so tract prunes what
/// computes the others).
pub(crate) fn select_outputs(
    model: &mut InferenceModel,
    names: &[&str],
    path: &Path,
) -> Result<(), ModelError> {
    let mut outlets = Vec::with_capacity(names.len());
    for name in names {
        let outlet = model
            .find_outlet_label(name)
            .or_else(|| {
                model
                    .node_by_name(name)
                    .ok()
                    .map(|n| OutletId::new(n.id, 0))
            })
            .ok_or_else(|| ModelError::load(path, format!("no output named {name:?}")))?;
        outlets.push(outlet);
    }
    model
        .select_output_outlets(&outlets)
        .map_err(|e| ModelError::load(path, e))
}

#[cfg(test)]
mod tests {
    use tract_onnx::tract_core::ops::math;

    use super::*;

    /// `(x + c) * c` with one constant `c` read by both nodes.
    fn shared_constant_model() -> TractResult<TypedModel> {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([2]))?;
        let c = model.add_const("c", tensor1(&[1f32, 2.0]))?;
        let sum = model.wire_node("sum", math::add(), &[x, c])?[0];
        let product = model.wire_node("product", math::mul(), &[sum, c])?[0];
        model.select_output_outlets(&[product])?;
        Ok(model)
    }

    #[test]
    fn every_reader_of_a_constant_gets_its_own_node_with_the_same_tensor() -> TractResult<()> {
        let mut model = shared_constant_model()?;
        assert_eq!(unshare_constants(&mut model)?, 1);
        let consts: Vec<_> = model
            .nodes()
            .iter()
            .filter(|n| n.op_is::<Const>())
            .collect();
        assert_eq!(consts.len(), 2);
        for node in &consts {
            assert_eq!(node.outputs[0].successors.len(), 1, "{}", node.name);
        }
        let tensors: Vec<_> = consts
            .iter()
            .filter_map(|n| n.op_as::<Const>().map(|c| c.val().clone()))
            .collect();
        assert!(Arc::ptr_eq(&tensors[0], &tensors[1]), "shared, not copied");
        Ok(())
    }

    #[test]
    fn the_optimized_plan_computes_what_the_graph_says() -> TractResult<()> {
        let plan = optimized_plan(shared_constant_model()?)?;
        let out = plan.run(tvec![tensor1(&[3f32, 4.0]).into_tvalue()])?;
        assert_eq!(*out[0], tensor1(&[4f32, 12.0]));
        Ok(())
    }
}
