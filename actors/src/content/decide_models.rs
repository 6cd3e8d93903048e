//! Decisions on the model workers' results: recording a generated draft and
//! a verification. The work itself (generation, OCR, embeddings) happened
//! outside the aggregate; these only check who may record what.

use agora_events::domain::content::ContentEvent;
use agora_events::domain::content_models::{ContentDraftGenerated, ContentVerified};

use super::decide::{Decision, caller};
use super::{Content, ContentError, GeneratedDraft, VerificationOutcome};
use crate::aggregate::CommandContext;

impl Content {
    /// A draft generated for the creator of a drafted, not retired item.
    pub(super) fn record_draft(&self, ctx: &CommandContext, draft: &GeneratedDraft) -> Decision {
        let details = self.as_creator(ctx)?;
        self.not_retired()?;
        Ok(vec![ContentEvent::DraftGenerated(ContentDraftGenerated {
            requested_by: details.creator_id.clone(),
            prompt: draft.prompt.clone(),
            text: draft.text.clone(),
            model: draft.model.clone(),
            params: draft.params.clone(),
            tokens: draft.tokens,
            prompt_tokens: draft.prompt_tokens,
            finish: draft.finish.clone(),
            duration_ms: draft.duration_ms,
            generated_at: ctx.now,
        })])
    }

    /// A verification of a drafted, not retired item, with a score in
    /// [0, 1].
    pub(super) fn record_verification(
        &self,
        ctx: &CommandContext,
        outcome: &VerificationOutcome,
    ) -> Decision {
        self.drafted()?;
        let requested_by = caller(ctx)?.to_owned();
        self.not_retired()?;
        if !(outcome.score.is_finite() && (0.0..=1.0).contains(&outcome.score)) {
            return Err(ContentError::InvalidScore);
        }
        Ok(vec![ContentEvent::Verified(ContentVerified {
            requested_by,
            score: outcome.score,
            findings: outcome.findings.clone(),
            model_versions: outcome.model_versions.clone(),
            verified_at: ctx.now,
        })])
    }
}
