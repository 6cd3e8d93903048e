//! The decisions of the Content aggregate, one method per command. Checks
//! run in the order of their HTTP status: existence (404), caller (401,
//! 403), state (409), then values (422).

use agora_events::domain::content::{
    AnswerMarked, Body, CheckedIn, CommentPosted, ContentDrafted, ContentEvent, ContentKind,
    ContentListedByPartner, ContentPublished, ContentPurchased, ContentRated, ContentRetired,
    ContentUnpublished, DraftEdited, Money, PriceSet, PurchaseRefunded, ReviewWritten,
};
use agora_events::domain::revenue::{Account, split_sale};

use super::{
    Content, ContentError, ContentStage, Details, DraftChanges, PartnerListing, PartnerRate, rules,
};
use crate::aggregate::CommandContext;

/// The fields of a [`ContentCommand::DraftContent`](super::ContentCommand).
#[derive(Clone, Copy)]
pub(super) struct NewDraft<'a> {
    pub(super) kind: ContentKind,
    pub(super) title: &'a str,
    pub(super) summary: &'a str,
    pub(super) body: &'a Body,
    pub(super) tags: &'a [String],
    pub(super) language: &'a str,
}

pub(super) type Decision = Result<Vec<ContentEvent>, ContentError>;

/// The caller, who must be known.
pub(super) fn caller(ctx: &CommandContext) -> Result<&str, ContentError> {
    ctx.actor_id.as_deref().ok_or(ContentError::Unauthenticated)
}

/// `new` if it differs from `old`.
fn changed<T: PartialEq>(new: Option<T>, old: &T) -> Option<T> {
    new.filter(|n| n != old)
}

impl Content {
    /// The details, if drafted.
    pub(super) fn drafted(&self) -> Result<&Details, ContentError> {
        self.details.as_ref().ok_or(ContentError::NotDrafted)
    }

    /// The details, if drafted and the item exists for the caller: someone
    /// else's draft that was never published answers as if it did not exist
    /// ([`ContentError::NotDrafted`], 404), so draft ids cannot be found by
    /// trying them. An item published once stays visible (unpublished or
    /// retired).
    pub(super) fn visible(&self, ctx: &CommandContext) -> Result<&Details, ContentError> {
        let details = self.drafted()?;
        if !self.ever_published && ctx.actor_id.as_deref() != Some(details.creator_id.as_str()) {
            return Err(ContentError::NotDrafted);
        }
        Ok(details)
    }

    /// The details, if the item exists for the caller (see
    /// [`Content::visible`]) and the caller is the creator.
    pub(super) fn as_creator(&self, ctx: &CommandContext) -> Result<&Details, ContentError> {
        let details = self.visible(ctx)?;
        if caller(ctx)? != details.creator_id {
            return Err(ContentError::NotCreator);
        }
        Ok(details)
    }

    /// The caller, if drafted and the caller owns the item or — while it
    /// is published — holds a membership covering its creator (`member_of`,
    /// found by the membership side when the command was sent).
    fn as_entitled<'c>(
        &self,
        ctx: &'c CommandContext,
        member_of: Option<&str>,
    ) -> Result<&'c str, ContentError> {
        let details = self.visible(ctx)?;
        let user = caller(ctx)?;
        let member =
            self.stage == ContentStage::Published && member_of == Some(details.creator_id.as_str());
        if !self.owns(user) && !member {
            return Err(ContentError::NotOwner);
        }
        Ok(user)
    }

    /// Refuses if the item is retired.
    pub(super) fn not_retired(&self) -> Result<(), ContentError> {
        if self.stage == ContentStage::Retired {
            return Err(ContentError::Retired);
        }
        Ok(())
    }

    /// Refuses unless the item is published (retired gets its own error).
    fn published(&self) -> Result<(), ContentError> {
        self.not_retired()?;
        if self.stage != ContentStage::Published {
            return Err(ContentError::NotPublished);
        }
        Ok(())
    }

    pub(super) fn draft(&self, ctx: &CommandContext, new: NewDraft<'_>) -> Decision {
        if self.details.is_some() {
            return Err(ContentError::AlreadyDrafted);
        }
        let creator_id = caller(ctx)?.to_owned();
        Ok(vec![ContentEvent::Drafted(ContentDrafted {
            content_id: ctx.aggregate_id.clone(),
            creator_id,
            kind: new.kind,
            title: rules::title(new.title)?,
            summary: rules::summary(new.summary)?,
            body: rules::body(new.body)?,
            tags: rules::tags(new.tags)?,
            language: rules::language(new.language)?,
            drafted_at: ctx.now,
        })])
    }

    pub(super) fn edit(&self, ctx: &CommandContext, changes: &DraftChanges) -> Decision {
        let d = self.as_creator(ctx)?;
        self.not_retired()?;
        if self.ever_published {
            return Err(ContentError::NoLongerDraft);
        }
        let event = DraftEdited {
            kind: changed(changes.kind, &d.kind),
            title: changed(
                changes.title.as_deref().map(rules::title).transpose()?,
                &d.title,
            ),
            summary: changed(
                changes.summary.as_deref().map(rules::summary).transpose()?,
                &d.summary,
            ),
            body: changed(changes.body.as_ref().map(rules::body).transpose()?, &d.body),
            tags: changed(
                changes.tags.as_deref().map(rules::tags).transpose()?,
                &d.tags,
            ),
            language: changed(
                changes
                    .language
                    .as_deref()
                    .map(rules::language)
                    .transpose()?,
                &d.language,
            ),
            edited_at: ctx.now,
        };
        let nothing = event.kind.is_none()
            && event.title.is_none()
            && event.summary.is_none()
            && event.body.is_none()
            && event.tags.is_none()
            && event.language.is_none();
        if nothing {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::DraftEdited(event)])
    }

    pub(super) fn set_price(&self, ctx: &CommandContext, price: &Money) -> Decision {
        self.as_creator(ctx)?;
        self.not_retired()?;
        let price = rules::price(price)?;
        if self.price.as_ref() == Some(&price) {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::PriceSet(PriceSet {
            price,
            set_at: ctx.now,
        })])
    }

    pub(super) fn publish(
        &self,
        ctx: &CommandContext,
        required_score_bps: Option<u32>,
    ) -> Decision {
        let d = self.as_creator(ctx)?;
        self.not_retired()?;
        if self.stage == ContentStage::Published {
            return Err(ContentError::AlreadyPublished);
        }
        if !rules::has_text(&d.body) {
            return Err(ContentError::PublishWithoutBody);
        }
        if self.price.is_none() {
            return Err(ContentError::PublishWithoutPrice);
        }
        if let Some(required_bps) = required_score_bps {
            match self.verified_score_bps {
                None => return Err(ContentError::VerificationRequired),
                Some(score_bps) if score_bps < required_bps => {
                    return Err(ContentError::VerificationScoreTooLow {
                        score_bps,
                        required_bps,
                    });
                }
                Some(_) => {}
            }
        }
        Ok(vec![ContentEvent::Published(ContentPublished {
            published_at: ctx.now,
        })])
    }

    pub(super) fn unpublish(&self, ctx: &CommandContext) -> Decision {
        self.as_creator(ctx)?;
        self.published()?;
        Ok(vec![ContentEvent::Unpublished(ContentUnpublished {
            unpublished_at: ctx.now,
        })])
    }

    pub(super) fn retire(&self, ctx: &CommandContext) -> Decision {
        self.as_creator(ctx)?;
        if self.stage == ContentStage::Retired {
            return Err(ContentError::AlreadyRetired);
        }
        Ok(vec![ContentEvent::Retired(ContentRetired {
            retired_at: ctx.now,
        })])
    }

    pub(super) fn buy(
        &self,
        ctx: &CommandContext,
        buyer_id: &str,
        purchase_id: &str,
        platform_fee_bps: u32,
        partner: Option<&PartnerRate>,
    ) -> Decision {
        let d = self.visible(ctx)?;
        self.published()?;
        if buyer_id == d.creator_id {
            return Err(ContentError::OwnContent);
        }
        if self.owns(buyer_id) {
            return Err(ContentError::AlreadyOwned);
        }
        if self.purchases.contains_key(purchase_id) {
            return Err(ContentError::DuplicatePurchaseId(purchase_id.to_owned()));
        }
        if let Some((listed_by, _)) = self.listed_by()
            && partner.is_none_or(|p| p.partner_id != listed_by)
        {
            return Err(ContentError::PartnerRateMissing(listed_by.to_owned()));
        }
        let buyer_id = rules::id(buyer_id, "buyer id")?;
        let purchase_id = rules::id(purchase_id, "purchase id")?;
        let partner = partner
            .map(|p| Ok::<_, ContentError>((rules::id(&p.partner_id, "partner id")?, p.share_bps)))
            .transpose()?;
        // Published implies priced; a missing price would be a bug upstream.
        let price = self
            .price
            .clone()
            .ok_or(ContentError::PublishWithoutPrice)?;
        let shares = split_sale(
            price.amount_cents,
            &Account::Creator(d.creator_id.clone()),
            platform_fee_bps,
            partner.as_ref().map(|(id, bps)| (id.as_str(), *bps)),
        )
        .map_err(|_| ContentError::RatesAboveWhole)?;
        Ok(vec![ContentEvent::Purchased(ContentPurchased {
            buyer_id,
            price,
            purchase_id,
            purchased_at: ctx.now,
            partner_id: partner.map(|(id, _)| id),
            shares,
        })])
    }

    pub(super) fn import_listing(
        &self,
        ctx: &CommandContext,
        listing: &PartnerListing,
    ) -> Decision {
        caller(ctx)?;
        let title = rules::title(&listing.title)?;
        let summary = rules::summary(&listing.summary)?;
        let body = rules::body(&listing.body)?;
        let tags = rules::tags(&listing.tags)?;
        let language = rules::language(&listing.language)?;
        let price = rules::price(&listing.price)?;
        let partner_id = rules::id(&listing.partner_id, "partner id")?;
        let external_id = rules::id(&listing.external_id, "external id")?;
        let creator_id = rules::id(&listing.creator_id, "creator id")?;
        let Some(d) = &self.details else {
            if !rules::has_text(&body) {
                return Err(ContentError::PublishWithoutBody);
            }
            return Ok(vec![
                ContentEvent::Drafted(ContentDrafted {
                    content_id: ctx.aggregate_id.clone(),
                    creator_id,
                    kind: listing.kind,
                    title,
                    summary,
                    body,
                    tags,
                    language,
                    drafted_at: ctx.now,
                }),
                ContentEvent::ListedByPartner(ContentListedByPartner {
                    partner_id,
                    external_id,
                    listed_at: ctx.now,
                }),
                ContentEvent::PriceSet(PriceSet {
                    price,
                    set_at: ctx.now,
                }),
                ContentEvent::Published(ContentPublished {
                    published_at: ctx.now,
                }),
            ]);
        };
        if self.listed_by() != Some((partner_id.as_str(), external_id.as_str())) {
            return Err(ContentError::NotThisListing);
        }
        self.not_retired()?;
        let same_text = d.creator_id == creator_id
            && d.kind == listing.kind
            && d.title == title
            && d.summary == summary
            && d.body == body
            && d.tags == tags
            && d.language == language;
        if !same_text {
            return Err(ContentError::ListingTextFixed);
        }
        if self.price.as_ref() == Some(&price) {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::PriceSet(PriceSet {
            price,
            set_at: ctx.now,
        })])
    }

    pub(super) fn refund(
        &self,
        ctx: &CommandContext,
        purchase_id: &str,
        window_micros: u64,
    ) -> Decision {
        self.visible(ctx)?;
        let purchase = self
            .purchases
            .get(purchase_id)
            .ok_or_else(|| ContentError::PurchaseNotFound(purchase_id.to_owned()))?;
        if caller(ctx)? != purchase.buyer_id {
            return Err(ContentError::NotBuyer);
        }
        if purchase.refunded_at.is_some() {
            return Err(ContentError::AlreadyRefunded);
        }
        let elapsed = i128::from(ctx.now.0) - i128::from(purchase.purchased_at.0);
        if elapsed > i128::from(window_micros) {
            return Err(ContentError::RefundWindowClosed);
        }
        Ok(vec![ContentEvent::PurchaseRefunded(PurchaseRefunded {
            purchase_id: purchase_id.to_owned(),
            buyer_id: purchase.buyer_id.clone(),
            refunded_at: ctx.now,
        })])
    }

    pub(super) fn rate(
        &self,
        ctx: &CommandContext,
        stars: u8,
        member_of: Option<&str>,
    ) -> Decision {
        let user = self.as_entitled(ctx, member_of)?;
        let stars = rules::stars(stars)?;
        if self.rating_of(user) == Some(stars) {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::Rated(ContentRated {
            user_id: user.to_owned(),
            stars,
            rated_at: ctx.now,
        })])
    }

    pub(super) fn review(
        &self,
        ctx: &CommandContext,
        text: &str,
        member_of: Option<&str>,
    ) -> Decision {
        let user = self.as_entitled(ctx, member_of)?;
        let text = rules::review(text)?;
        if self.review_of(user) == Some(text.as_str()) {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::ReviewWritten(ReviewWritten {
            user_id: user.to_owned(),
            text,
            written_at: ctx.now,
        })])
    }

    pub(super) fn check_in(
        &self,
        ctx: &CommandContext,
        note: Option<&str>,
        member_of: Option<&str>,
    ) -> Decision {
        let user = self.as_entitled(ctx, member_of)?;
        if self.kind() != Some(ContentKind::Course) {
            return Err(ContentError::NotACourse);
        }
        let day = rules::day_of(ctx.now);
        if self.checked_in_on(user, day) {
            return Err(ContentError::AlreadyCheckedIn(day));
        }
        Ok(vec![ContentEvent::CheckedIn(CheckedIn {
            user_id: user.to_owned(),
            day,
            note: rules::note(note)?,
            checked_in_at: ctx.now,
        })])
    }

    pub(super) fn post_comment(
        &self,
        ctx: &CommandContext,
        comment_id: &str,
        parent_id: Option<&str>,
        text: &str,
        is_question: bool,
    ) -> Decision {
        self.visible(ctx)?;
        let author = caller(ctx)?;
        self.published()?;
        if self.comments.contains_key(comment_id) {
            return Err(ContentError::DuplicateCommentId(comment_id.to_owned()));
        }
        if let Some(parent) = parent_id
            && !self.comments.contains_key(parent)
        {
            return Err(ContentError::CommentNotFound(parent.to_owned()));
        }
        Ok(vec![ContentEvent::CommentPosted(CommentPosted {
            comment_id: rules::id(comment_id, "comment id")?,
            author_id: author.to_owned(),
            parent_id: parent_id.map(str::to_owned),
            text: rules::comment(text)?,
            is_question,
            posted_at: ctx.now,
        })])
    }

    pub(super) fn mark_answer(
        &self,
        ctx: &CommandContext,
        comment_id: &str,
        answer_id: &str,
    ) -> Decision {
        self.as_creator(ctx)?;
        let question = self
            .comments
            .get(comment_id)
            .ok_or_else(|| ContentError::CommentNotFound(comment_id.to_owned()))?;
        if !self.comments.contains_key(answer_id) {
            return Err(ContentError::CommentNotFound(answer_id.to_owned()));
        }
        if !question.is_question {
            return Err(ContentError::NotAQuestion);
        }
        if !self.is_reply_within(answer_id, comment_id) {
            return Err(ContentError::AnswerNotInThread);
        }
        if question.answer_id.as_deref() == Some(answer_id) {
            return Ok(Vec::new());
        }
        Ok(vec![ContentEvent::AnswerMarked(AnswerMarked {
            comment_id: comment_id.to_owned(),
            answer_id: answer_id.to_owned(),
            marked_at: ctx.now,
        })])
    }

    /// Whether `reply` answers `root`, directly or through other replies.
    /// Parents are always earlier comments, so the walk ends.
    fn is_reply_within(&self, reply: &str, root: &str) -> bool {
        let mut current = self
            .comments
            .get(reply)
            .and_then(|c| c.parent_id.as_deref());
        while let Some(id) = current {
            if id == root {
                return true;
            }
            current = self.comments.get(id).and_then(|c| c.parent_id.as_deref());
        }
        false
    }
}
