//! Someone else's draft that was never published does not exist for the
//! caller: every command answers as for an unknown id
//! ([`ContentError::NotDrafted`], 404), so draft ids cannot be enumerated
//! (issue 17: buying a stranger's draft answered 409 `content-not-published`
//! while an unknown id answered 404). An item published once keeps its
//! answers.

use agora_events::domain::content::{ContentRetired, ContentUnpublished};
use agora_events::domain::content_models::DraftParams;

use super::*;
use crate::content::{DraftChanges, GeneratedDraft};

/// Every command a caller other than the creator might try on an item.
fn every_command() -> Vec<ContentCommand> {
    vec![
        ContentCommand::Purchase {
            buyer_id: STRANGER.into(),
            purchase_id: "p9".into(),
            platform_fee_bps: 0,
            partner: None,
        },
        ContentCommand::Refund {
            purchase_id: "p1".into(),
            window_micros: u64::MAX,
        },
        ContentCommand::Rate {
            stars: 5,
            member_of: Some(CREATOR.into()),
        },
        ContentCommand::Review {
            text: "great".into(),
            member_of: Some(CREATOR.into()),
        },
        ContentCommand::CheckIn {
            note: None,
            member_of: Some(CREATOR.into()),
        },
        ContentCommand::PostComment {
            comment_id: "k1".into(),
            parent_id: None,
            text: "hello?".into(),
            is_question: true,
        },
        ContentCommand::MarkAnswer {
            comment_id: "k1".into(),
            answer_id: "k2".into(),
        },
        ContentCommand::EditDraft(DraftChanges {
            title: Some("Mine now".into()),
            ..DraftChanges::default()
        }),
        ContentCommand::SetPrice { price: cny(1) },
        ContentCommand::Publish {
            required_score_bps: None,
        },
        ContentCommand::Unpublish,
        ContentCommand::Retire,
        ContentCommand::RecordGeneratedDraft(GeneratedDraft {
            prompt: "p".into(),
            text: "t".into(),
            model: "m@sha256".into(),
            params: DraftParams {
                max_tokens: 1,
                temperature: 0.0,
                top_k: 0,
                top_p: 1.0,
                seed: 0,
                repetition_penalty: 1.0,
                no_repeat_ngram: 0,
            },
            tokens: 1,
            prompt_tokens: 1,
            finish: "stop".into(),
            duration_ms: 1,
        }),
    ]
}

/// Drafts that were never published, in every state a draft can be in.
fn never_published() -> Vec<Vec<ContentEvent>> {
    vec![
        vec![drafted()],
        vec![drafted(), priced(9_900)],
        vec![
            drafted(),
            priced(9_900),
            ContentEvent::Retired(ContentRetired { retired_at: T0 }),
        ],
    ]
}

#[test]
fn a_strangers_draft_answers_every_command_as_an_unknown_id_does() {
    for command in every_command() {
        story()
            .when(&by(STRANGER, command.clone()))
            .then_error(&ContentError::NotDrafted);
        for given in never_published() {
            story()
                .given(given.clone())
                .when(&by(STRANGER, command.clone()))
                .then_error(&ContentError::NotDrafted);
            story()
                .given(given)
                .when(&anonymous(command.clone()))
                .then_error(&ContentError::NotDrafted);
        }
    }
}

#[test]
fn buying_a_strangers_draft_is_not_found_not_unpublished() {
    story()
        .given([drafted(), priced(9_900)])
        .when(&by(
            BUYER,
            ContentCommand::Purchase {
                buyer_id: BUYER.into(),
                purchase_id: "p1".into(),
                platform_fee_bps: 0,
                partner: None,
            },
        ))
        .then_error(&ContentError::NotDrafted);
}

#[test]
fn the_creator_still_sees_their_own_draft() {
    story()
        .given([drafted(), priced(9_900)])
        .when(&by(CREATOR, ContentCommand::Unpublish))
        .then_error(&ContentError::NotPublished);
    story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            ContentCommand::PostComment {
                comment_id: "k1".into(),
                parent_id: None,
                text: "note to self".into(),
                is_question: false,
            },
        ))
        .then_error(&ContentError::NotPublished);
}

#[test]
fn an_item_published_once_keeps_its_answers() {
    let mut unpublished = on_sale();
    unpublished.push(ContentEvent::Unpublished(ContentUnpublished {
        unpublished_at: T0,
    }));
    story()
        .given(unpublished.clone())
        .when(&by(
            STRANGER,
            ContentCommand::Purchase {
                buyer_id: STRANGER.into(),
                purchase_id: "p9".into(),
                platform_fee_bps: 0,
                partner: None,
            },
        ))
        .then_error(&ContentError::NotPublished);
    story()
        .given(unpublished)
        .when(&by(STRANGER, ContentCommand::Retire))
        .then_error(&ContentError::NotCreator);
    story()
        .given(on_sale())
        .when(&by(
            STRANGER,
            ContentCommand::Refund {
                purchase_id: "p1".into(),
                window_micros: u64::MAX,
            },
        ))
        .then_error(&ContentError::PurchaseNotFound("p1".into()));
}
