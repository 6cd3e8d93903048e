//! Small tract helpers shared by the embedder and the generator.

use std::path::Path;

use tract_onnx::tract_core::ops::binary::{BinMiniOp, TypedBinOp};
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::math::{Add, Div, Erf, Mul, mul};
use tract_onnx::tract_core::ops::nn::gelu_exact::gelu_exact;
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

/// Rewrites every `x / c`, `c` a one-element f32 constant, as `x * (1 / c)`.
/// tract recognises GELU (`0.5 · x · (1 + erf(x · 1/√2))`) and fuses it into
/// one kernel only when the scaling is a product; exporters that write the
/// division (the int8 MiniLM) otherwise run five element-wise passes per
/// layer. The product differs from the quotient by at most one ulp.
///
/// Returns how many divisions were rewritten.
pub(crate) fn divisions_as_products(model: &mut TypedModel) -> TractResult<usize> {
    let mut candidates = Vec::new();
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<TypedBinOp>() else {
            continue;
        };
        if !op.0.is::<Div>() {
            continue;
        }
        let facts = model.node_input_facts(id)?;
        let divisor = match (&facts[0].konst, &facts[1].konst) {
            (None, Some(divisor)) => divisor.clone(),
            _ => continue,
        };
        if divisor.datum_type() != f32::datum_type() || divisor.len() != 1 {
            continue;
        }
        candidates.push((id, divisor));
    }
    for (id, divisor) in &candidates {
        let node = model.node(*id);
        let mut reciprocal = divisor.clone().into_tensor();
        reciprocal
            .to_plain_array_view_mut::<f32>()?
            .mapv_inplace(f32::recip);
        let mut patch = TypedModelPatch::default();
        let x = patch.tap_model(model, node.inputs[0])?;
        let c = patch.add_const(format!("{}.reciprocal", node.name), reciprocal)?;
        let product = patch.wire_node(format!("{}.as_product", node.name), mul(), &[x, c])?;
        patch.shunt_outside(model, OutletId::new(*id, 0), product[0])?;
        patch.apply(model)?;
    }
    Ok(candidates.len())
}

/// Replaces `x · ((1 + erf(x · 1/√2)) · 0.5)` by tract's fused exact GELU.
/// tract's own detection covers `(0.5 · x) · (1 + erf(…))` and
/// `((1 + erf(…)) · x) · 0.5`, not this grouping, which is how the int8
/// MiniLM's exporter wrote it: five element-wise passes over the 1536-wide
/// activations of every layer instead of one. Run after
/// [`divisions_as_products`] (the exporter divides by √2).
///
/// Returns how many GELUs were fused.
pub(crate) fn fuse_gelu(model: &mut TypedModel) -> TractResult<usize> {
    let mut found = Vec::new();
    for id in model.eval_order()? {
        if let Some(matched) = gelu_at(model, id)? {
            found.push(matched);
        }
    }
    for (x, out) in &found {
        let name = format!("{}.gelu_exact", model.node(*out).name);
        let mut patch = TypedModelPatch::default();
        let input = patch.tap_model(model, *x)?;
        let gelu = patch.wire_node(name, gelu_exact(), &[input])?;
        patch.shunt_outside(model, OutletId::new(*out, 0), gelu[0])?;
        patch.apply(model)?;
    }
    Ok(found.len())
}

/// If node `erf` is the `erf` of `x · ((1 + erf(x · 1/√2)) · 0.5)` over f32:
/// `x` and the final product's node.
fn gelu_at(model: &TypedModel, erf: usize) -> TractResult<Option<(OutletId, usize)>> {
    let node = model.node(erf);
    let is_erf = node
        .op_as::<ElementWiseOp>()
        .is_some_and(|op| op.0.is::<Erf>());
    if !is_erf || model.outlet_fact(node.inputs[0])?.datum_type != f32::datum_type() {
        return Ok(None);
    }
    let scale = node.inputs[0].node;
    let Some(x) = bin_with_const::<Mul>(model, scale, std::f32::consts::FRAC_1_SQRT_2)? else {
        return Ok(None);
    };
    let Some(plus_one) = single_successor(model, erf) else {
        return Ok(None);
    };
    if bin_with_const::<Add>(model, plus_one, 1.0)?.is_none() {
        return Ok(None);
    }
    let Some(half) = single_successor(model, plus_one) else {
        return Ok(None);
    };
    if bin_with_const::<Mul>(model, half, 0.5)?.is_none() {
        return Ok(None);
    }
    let Some(out) = single_successor(model, half) else {
        return Ok(None);
    };
    let out_node = model.node(out);
    let is_product_with_x = out_node
        .op_as::<TypedBinOp>()
        .is_some_and(|op| op.0.is::<Mul>())
        && out_node.inputs.contains(&x)
        && out_node.inputs.contains(&OutletId::new(half, 0));
    Ok(is_product_with_x.then_some((x, out)))
}

/// If node `id` is the binary op `B` of a wire and a one-element constant
/// within 1e-6 of `value`: that wire.
fn bin_with_const<B: BinMiniOp>(
    model: &TypedModel,
    id: usize,
    value: f32,
) -> TractResult<Option<OutletId>> {
    let node = model.node(id);
    if !node.op_as::<TypedBinOp>().is_some_and(|op| op.0.is::<B>()) {
        return Ok(None);
    }
    let facts = model.node_input_facts(id)?;
    let (wire, konst) = match (&facts[0].konst, &facts[1].konst) {
        (None, Some(k)) => (node.inputs[0], k),
        (Some(k), None) => (node.inputs[1], k),
        _ => return Ok(None),
    };
    if konst.len() != 1 || konst.datum_type() != f32::datum_type() {
        return Ok(None);
    }
    let found = konst.cast_to_scalar::<f32>()?;
    Ok(((found - value).abs() <= 1e-6).then_some(wire))
}

/// The one node reading node `id`'s single output, if there is exactly one.
fn single_successor(model: &TypedModel, id: usize) -> Option<usize> {
    match model.node(id).outputs.as_slice() {
        [output] if output.successors.len() == 1 => Some(output.successors[0].node),
        _ => None,
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
    use tract_onnx::tract_core::ops::nn::GeluExact;

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

    /// `x · ((1 + erf(x / divisor)) · 0.5)` over `len` values: the int8
    /// MiniLM's GELU when `divisor` is √2.
    fn gelu_chain(divisor: f32, len: usize) -> TractResult<TypedModel> {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([len]))?;
        let divisor = model.add_const("divisor", tensor1(&[divisor]))?;
        let one = model.add_const("one", tensor1(&[1f32]))?;
        let half = model.add_const("half", tensor1(&[0.5f32]))?;
        let scaled = model.wire_node("div", math::div(), &[x, divisor])?[0];
        let erf = model.wire_node("erf", math::erf(), &[scaled])?[0];
        let plus_one = model.wire_node("plus_one", math::add(), &[erf, one])?[0];
        let halved = model.wire_node("halved", math::mul(), &[plus_one, half])?[0];
        let out = model.wire_node("out", math::mul(), &[x, halved])?[0];
        model.select_output_outlets(&[out])?;
        Ok(model)
    }

    fn spelled_out_gelu() -> TractResult<TypedModel> {
        gelu_chain(std::f32::consts::SQRT_2, 5)
    }

    fn count<O: Op>(model: &TypedModel) -> usize {
        model.nodes().iter().filter(|n| n.op_is::<O>()).count()
    }

    #[test]
    fn a_spelled_out_gelu_becomes_one_fused_node_with_the_same_values() -> TractResult<()> {
        let xs = tensor1(&[-3f32, -0.5, 0.0, 0.7, 4.0]);
        let reference =
            optimized_plan(spelled_out_gelu()?)?.run(tvec![xs.clone().into_tvalue()])?;
        let mut model = spelled_out_gelu()?;
        assert_eq!(divisions_as_products(&mut model)?, 1);
        assert_eq!(fuse_gelu(&mut model)?, 1);
        let plan = optimized_plan(model)?;
        let fused = plan.model();
        let gelus = fused
            .nodes()
            .iter()
            .filter(|n| {
                n.op_as::<ElementWiseOp>()
                    .is_some_and(|op| op.0.is::<GeluExact>())
            })
            .count();
        assert_eq!(gelus, 1);
        assert_eq!(
            count::<TypedBinOp>(fused),
            0,
            "no element-wise products or sums left"
        );
        let out = plan.run(tvec![xs.into_tvalue()])?;
        out[0].close_enough(&reference[0], Approximation::Approximate)?;
        Ok(())
    }

    #[test]
    fn other_shapes_of_the_chain_are_left_alone() -> TractResult<()> {
        // x · ((1 + erf(x / 2)) · 0.5) is not a GELU.
        let mut model = gelu_chain(2.0, 3)?;
        assert_eq!(divisions_as_products(&mut model)?, 1);
        assert_eq!(fuse_gelu(&mut model)?, 0);
        let out = optimized_plan(model)?.run(tvec![tensor1(&[-1f32, 0.0, 2.0]).into_tvalue()])?;
        let expected: Vec<f32> = [-1f32, 0.0, 2.0]
            .iter()
            .map(|&x| x * (1.0 + erf_reference(x / 2.0)) * 0.5)
            .collect();
        out[0].close_enough(&tensor1(&expected), Approximation::Approximate)?;
        Ok(())
    }

    /// erf by its Taylor series (|x| ≤ 1 here), for the expected values.
    fn erf_reference(x: f32) -> f32 {
        let x = f64::from(x);
        let mut term = x;
        let mut sum = x;
        for n in 1..30 {
            term *= -x * x / f64::from(n);
            sum += term / f64::from(2 * n + 1);
        }
        (sum * 2.0 / std::f64::consts::PI.sqrt()) as f32
    }

    #[test]
    fn the_optimized_plan_computes_what_the_graph_says() -> TractResult<()> {
        let plan = optimized_plan(shared_constant_model()?)?;
        let out = plan.run(tvec![tensor1(&[3f32, 4.0]).into_tvalue()])?;
        assert_eq!(*out[0], tensor1(&[4f32, 12.0]));
        Ok(())
    }
}
