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
