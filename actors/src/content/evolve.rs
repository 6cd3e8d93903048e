//! How each recorded event changes a content item's state. Events are
//! facts: nothing here checks or refuses.

use agora_events::domain::content::ContentEvent;

use super::{CommentNode, Content, ContentStage, Details, PurchaseRecord};

impl Content {
    /// Applies one recorded event (see [`Aggregate::apply`](crate::aggregate::Aggregate::apply)).
    pub(super) fn evolve(&mut self, event: &ContentEvent) {
        match event {
            ContentEvent::Drafted(e) => {
                self.stage = ContentStage::Draft;
                self.details = Some(Details {
                    creator_id: e.creator_id.clone(),
                    kind: e.kind,
                    title: e.title.clone(),
                    summary: e.summary.clone(),
                    body: e.body.clone(),
                    tags: e.tags.clone(),
                    language: e.language.clone(),
                });
            }
            ContentEvent::DraftEdited(e) => {
                self.verified_score_bps = None;
                if let Some(d) = &mut self.details {
                    if let Some(kind) = e.kind {
                        d.kind = kind;
                    }
                    if let Some(title) = &e.title {
                        d.title.clone_from(title);
                    }
                    if let Some(summary) = &e.summary {
                        d.summary.clone_from(summary);
                    }
                    if let Some(body) = &e.body {
                        d.body.clone_from(body);
                    }
                    if let Some(tags) = &e.tags {
                        d.tags.clone_from(tags);
                    }
                    if let Some(language) = &e.language {
                        d.language.clone_from(language);
                    }
                }
            }
            ContentEvent::PriceSet(e) => self.price = Some(e.price.clone()),
            ContentEvent::Published(_) => {
                self.stage = ContentStage::Published;
                self.ever_published = true;
            }
            ContentEvent::Unpublished(_) => self.stage = ContentStage::Unpublished,
            ContentEvent::Retired(_) => self.stage = ContentStage::Retired,
            ContentEvent::Purchased(e) => {
                let shares = e.shares_for(self.creator_id().unwrap_or_default());
                self.purchases.insert(
                    e.purchase_id.clone(),
                    PurchaseRecord {
                        buyer_id: e.buyer_id.clone(),
                        price: e.price.clone(),
                        purchased_at: e.purchased_at,
                        partner_id: e.partner_id.clone(),
                        shares,
                        refunded_at: None,
                    },
                );
                self.entitlements
                    .insert(e.buyer_id.clone(), e.purchase_id.clone());
            }
            ContentEvent::PurchaseRefunded(e) => {
                if let Some(p) = self.purchases.get_mut(&e.purchase_id) {
                    p.refunded_at = Some(e.refunded_at);
                }
                if self.entitlements.get(&e.buyer_id) == Some(&e.purchase_id) {
                    self.entitlements.remove(&e.buyer_id);
                }
            }
            ContentEvent::Rated(e) => {
                self.ratings.insert(e.user_id.clone(), e.stars);
            }
            ContentEvent::ReviewWritten(e) => {
                self.reviews.insert(e.user_id.clone(), e.text.clone());
            }
            ContentEvent::CheckedIn(e) => {
                self.check_ins
                    .entry(e.user_id.clone())
                    .or_default()
                    .insert(e.day);
            }
            ContentEvent::CommentPosted(e) => {
                self.comments.insert(
                    e.comment_id.clone(),
                    CommentNode {
                        parent_id: e.parent_id.clone(),
                        is_question: e.is_question,
                        answer_id: None,
                    },
                );
            }
            ContentEvent::AnswerMarked(e) => {
                if let Some(c) = self.comments.get_mut(&e.comment_id) {
                    c.answer_id = Some(e.answer_id.clone());
                }
            }
            ContentEvent::ListedByPartner(e) => {
                self.listing = Some((e.partner_id.clone(), e.external_id.clone()));
            }
            ContentEvent::DraftGenerated(_) => {}
            ContentEvent::Verified(e) => self.verified_score_bps = Some(e.score_bps()),
        }
    }
}
