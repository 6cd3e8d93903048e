//! Recording verifications and generated drafts, and publishing that
//! requires a passing verification of the current text.

use agora_events::domain::content::{ContentPublished, DraftEdited};
use agora_events::domain::content_models::ContentVerified;

use super::*;
use crate::content::VerificationOutcome;

fn publish(required_score_bps: Option<u32>) -> By {
    by(CREATOR, ContentCommand::Publish { required_score_bps })
}

fn verified(score: f32) -> ContentEvent {
    ContentEvent::Verified(ContentVerified {
        requested_by: CREATOR.into(),
        score,
        findings: vec![],
        model_versions: vec![],
        verified_at: T0,
    })
}

#[test]
fn publishing_with_a_requirement_needs_a_passing_verification_of_the_current_text() {
    story()
        .given([drafted(), priced(100)])
        .when(&publish(Some(7_000)))
        .then_error(&ContentError::VerificationRequired);
    story()
        .given([drafted(), priced(100), verified(0.5)])
        .when(&publish(Some(7_000)))
        .then_error(&ContentError::VerificationScoreTooLow {
            score_bps: 5_000,
            required_bps: 7_000,
        });
    story()
        .given([drafted(), priced(100), verified(0.7)])
        .when(&publish(Some(7_000)))
        .then_events(&[ContentEvent::Published(ContentPublished {
            published_at: T0,
        })]);
    // An edit after the verification makes it stale.
    let edited = ContentEvent::DraftEdited(DraftEdited {
        kind: None,
        title: Some("New title".into()),
        summary: None,
        body: None,
        tags: None,
        language: None,
        edited_at: T0,
    });
    story()
        .given([drafted(), priced(100), verified(0.9), edited])
        .when(&publish(Some(7_000)))
        .then_error(&ContentError::VerificationRequired);
    // Without a requirement, no verification is needed.
    story()
        .given([drafted(), priced(100)])
        .when(&publish(None))
        .then_events(&[ContentEvent::Published(ContentPublished {
            published_at: T0,
        })]);
}

#[test]
fn a_verification_is_recorded_with_its_requester_and_a_score_in_range() {
    let outcome = |score: f32| {
        ContentCommand::RecordVerification(VerificationOutcome {
            score,
            findings: vec![],
            model_versions: vec![],
        })
    };
    story()
        .given([drafted()])
        .when(&by(CREATOR, outcome(0.9)))
        .then_events(&[verified(0.9)]);
    story()
        .given([drafted()])
        .when(&by(CREATOR, outcome(f32::NAN)))
        .then_error(&ContentError::InvalidScore);
    story()
        .given([drafted()])
        .when(&by(CREATOR, outcome(1.5)))
        .then_error(&ContentError::InvalidScore);
    story()
        .when(&by(CREATOR, outcome(0.9)))
        .then_error(&ContentError::NotDrafted);
}
