//! Comments, Q&A threads and marked answers.

use agora_events::domain::content::{AnswerMarked, CommentPosted, ContentUnpublished};

use super::*;

fn post(author: &str, id: &str, parent: Option<&str>, question: bool) -> By {
    by(
        author,
        ContentCommand::PostComment {
            comment_id: id.into(),
            parent_id: parent.map(str::to_owned),
            text: format!("comment {id}"),
            is_question: question,
        },
    )
}

fn posted(author: &str, id: &str, parent: Option<&str>, question: bool) -> ContentEvent {
    ContentEvent::CommentPosted(CommentPosted {
        comment_id: id.into(),
        author_id: author.into(),
        parent_id: parent.map(str::to_owned),
        text: format!("comment {id}"),
        is_question: question,
        posted_at: T0,
    })
}

fn mark(caller: &str, question: &str, answer: &str) -> By {
    by(
        caller,
        ContentCommand::MarkAnswer {
            comment_id: question.into(),
            answer_id: answer.into(),
        },
    )
}

fn marked(question: &str, answer: &str) -> ContentEvent {
    ContentEvent::AnswerMarked(AnswerMarked {
        comment_id: question.into(),
        answer_id: answer.into(),
        marked_at: T0,
    })
}

/// On sale, with a thread: question `q` by a stranger, reply `r1` by the
/// buyer, `r2` by the creator replying to `r1`; and a separate remark `x`.
fn with_thread() -> Vec<ContentEvent> {
    let mut events = on_sale();
    events.extend([
        posted(STRANGER, "q", None, true),
        posted(BUYER, "r1", Some("q"), false),
        posted(CREATOR, "r2", Some("r1"), false),
        posted(BUYER, "x", None, false),
    ]);
    events
}

#[test]
fn anyone_comments_on_published_content() {
    story()
        .given(on_sale())
        .when(&post(STRANGER, "k1", None, true))
        .then_events(&[posted(STRANGER, "k1", None, true)]);
    let state = story()
        .given(with_thread())
        .when(&post(STRANGER, "k2", Some("r2"), false))
        .then_events(&[posted(STRANGER, "k2", Some("r2"), false)]);
    assert!(state.0.has_comment("k2"));
}

#[test]
fn comments_need_a_caller_and_published_content() {
    story()
        .given(on_sale())
        .when(&anonymous(post(STRANGER, "k1", None, false).command))
        .then_error(&ContentError::Unauthenticated);
    story()
        .given([drafted()])
        .when(&post(STRANGER, "k1", None, false))
        .then_error(&ContentError::NotDrafted);
    story()
        .given([drafted()])
        .when(&post(CREATOR, "k1", None, false))
        .then_error(&ContentError::NotPublished);
    let mut events = on_sale();
    events.push(ContentEvent::Unpublished(ContentUnpublished {
        unpublished_at: T0,
    }));
    story()
        .given(events)
        .when(&post(STRANGER, "k1", None, false))
        .then_error(&ContentError::NotPublished);
}

#[test]
fn comments_are_checked() {
    story()
        .given(with_thread())
        .when(&post(STRANGER, "q", None, false))
        .then_error(&ContentError::DuplicateCommentId("q".into()));
    story()
        .given(with_thread())
        .when(&post(STRANGER, "k1", Some("nope"), false))
        .then_error(&ContentError::CommentNotFound("nope".into()));
    story()
        .given(on_sale())
        .when(&post(STRANGER, "k 1", None, false))
        .then_error(&ContentError::InvalidId("comment id"));
    let with_text = |text: String| {
        by(
            STRANGER,
            ContentCommand::PostComment {
                comment_id: "k1".into(),
                parent_id: None,
                text,
                is_question: false,
            },
        )
    };
    story()
        .given(on_sale())
        .when(&with_text(" ".into()))
        .then_error(&ContentError::EmptyComment);
    story()
        .given(on_sale())
        .when(&with_text("c".repeat(5001)))
        .then_error(&ContentError::CommentTooLong);
}

#[test]
fn the_creator_marks_a_reply_in_the_thread_as_the_answer() {
    let state = story()
        .given(with_thread())
        .when(&mark(CREATOR, "q", "r2"))
        .then_events(&[marked("q", "r2")]);
    assert_eq!(state.0.answer_of("q"), Some("r2"));
    // A later mark replaces it; the same mark again records nothing.
    let mut events = with_thread();
    events.push(marked("q", "r2"));
    let state = story()
        .given(events.clone())
        .when(&mark(CREATOR, "q", "r1"))
        .then_events(&[marked("q", "r1")]);
    assert_eq!(state.0.answer_of("q"), Some("r1"));
    story()
        .given(events)
        .when(&mark(CREATOR, "q", "r2"))
        .then_events(&[]);
}

#[test]
fn only_the_creator_marks_answers() {
    story()
        .given(with_thread())
        .when(&mark(STRANGER, "q", "r1"))
        .then_error(&ContentError::NotCreator);
}

#[test]
fn answers_are_marked_on_questions_and_within_their_thread() {
    story()
        .given(with_thread())
        .when(&mark(CREATOR, "x", "r1"))
        .then_error(&ContentError::NotAQuestion);
    story()
        .given(with_thread())
        .when(&mark(CREATOR, "q", "x"))
        .then_error(&ContentError::AnswerNotInThread);
    story()
        .given(with_thread())
        .when(&mark(CREATOR, "q", "q"))
        .then_error(&ContentError::AnswerNotInThread);
    story()
        .given(with_thread())
        .when(&mark(CREATOR, "nope", "r1"))
        .then_error(&ContentError::CommentNotFound("nope".into()));
    story()
        .given(with_thread())
        .when(&mark(CREATOR, "q", "nope"))
        .then_error(&ContentError::CommentNotFound("nope".into()));
}
