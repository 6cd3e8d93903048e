//! The partner service: registering partners, changing their share,
//! suspending them, and importing their catalogs through the content
//! service.

use std::sync::Arc;

use agora_events::domain::revenue::BPS_SCALE;
use agora_events::domain::user::Role;
use futures::StreamExt as _;

use super::import::{ImportItem, ImportItemError, ImportOutcome, ImportStatus, Imported};
use super::{ImportSettings, Partner, PartnerCommand, PartnerError, content_id_for};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::content::{ContentService, PartnerListing, Request};
use crate::projection::ProjectionHandle;
use crate::projection::users::UsersView;
use crate::user::valid_id;

/// Why a partner use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum PartnerServiceError {
    /// The partner id from the URL breaks the id rules (400).
    #[error("the partner id must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId,
    /// The partner's user is not a known user with the partner role (422).
    #[error("user {0:?} is not a known user with the partner role")]
    NotAPartnerUser(String),
    /// Only the partner's own user or an admin may import (403).
    #[error("only the partner's user or an admin may import into this catalog")]
    NotThePartner,
    /// The partner is suspended: imports are refused (409).
    #[error("the partner is suspended")]
    Suspended,
    /// The import carries more items than allowed (413).
    #[error("an import carries at most {max} items, this one has {count}")]
    TooManyItems {
        /// Items in the request.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<PartnerError>),
}

/// Partner use cases over the Partner aggregate.
pub struct PartnerService {
    registry: Arc<Registry<Partner>>,
    users: ProjectionHandle<UsersView>,
    platform_fee_bps: u32,
    import: ImportSettings,
    clock: Clock,
}

impl PartnerService {
    /// A service over `registry`, checking users in `users`; shares are
    /// bounded by 100 % minus `platform_fee_bps`.
    pub fn new(
        registry: Arc<Registry<Partner>>,
        users: ProjectionHandle<UsersView>,
        platform_fee_bps: u32,
        import: ImportSettings,
    ) -> Self {
        Self {
            registry,
            users,
            platform_fee_bps,
            import,
            clock: Clock::system(),
        }
    }

    /// The same service stamping commands with `clock`'s time.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The aggregate registry (shared with the content service, which reads
    /// partners' current shares at the moment of sale).
    pub fn registry(&self) -> &Arc<Registry<Partner>> {
        &self.registry
    }

    /// The import limits.
    pub fn import_settings(&self) -> ImportSettings {
        self.import
    }

    fn max_share_bps(&self) -> u32 {
        BPS_SCALE.saturating_sub(self.platform_fee_bps)
    }

    /// Registers partner `id` acting through `user_id` (who must hold the
    /// partner role).
    pub async fn register(
        &self,
        id: &str,
        name: String,
        user_id: String,
        share_bps: u32,
        request: &Request,
    ) -> Result<Executed<Partner>, PartnerServiceError> {
        let is_partner = self.users.read(|users| {
            users
                .get(&user_id)
                .is_some_and(|u| u.roles.contains(&Role::Partner))
        });
        if !is_partner {
            return Err(PartnerServiceError::NotAPartnerUser(user_id));
        }
        let command = PartnerCommand::Register {
            name,
            user_id,
            share_bps,
            max_share_bps: self.max_share_bps(),
        };
        self.execute(id, command, request).await
    }

    /// Changes the share of the partner's future sales.
    pub async fn change_share(
        &self,
        id: &str,
        share_bps: u32,
        request: &Request,
    ) -> Result<Executed<Partner>, PartnerServiceError> {
        let command = PartnerCommand::ChangeShare {
            share_bps,
            max_share_bps: self.max_share_bps(),
        };
        self.execute(id, command, request).await
    }

    /// Suspends the partner's imports.
    pub async fn suspend(
        &self,
        id: &str,
        reason: String,
        request: &Request,
    ) -> Result<Executed<Partner>, PartnerServiceError> {
        self.execute(id, PartnerCommand::Suspend { reason }, request)
            .await
    }

    /// Lifts the partner's suspension.
    pub async fn reinstate(
        &self,
        id: &str,
        request: &Request,
    ) -> Result<Executed<Partner>, PartnerServiceError> {
        self.execute(id, PartnerCommand::Reinstate, request).await
    }

    /// The partner's current state and version; an unknown partner is
    /// [`PartnerError::NotRegistered`].
    pub async fn get(&self, id: &str) -> Result<(Partner, u64), PartnerServiceError> {
        if !valid_id(id) {
            return Err(PartnerServiceError::InvalidId);
        }
        match self.registry.state(id).await? {
            (partner, Some(version)) if partner.is_registered() => Ok((partner, version)),
            _ => Err(CommandError::Domain(PartnerError::NotRegistered).into()),
        }
    }

    /// Imports `items` into partner `id`'s catalog on behalf of the caller
    /// (`request.actor_id`, an admin when `caller_is_admin`). Each item is
    /// checked and listed on its own, at most `concurrency` at once; the
    /// outcomes come back in the items' order. The call as a whole fails
    /// only when the partner is unknown or suspended, the caller is not its
    /// user or an admin, or there are too many items.
    pub async fn import(
        &self,
        contents: &ContentService,
        id: &str,
        items: Vec<Result<ImportItem, ImportItemError>>,
        request: &Request,
        caller_is_admin: bool,
    ) -> Result<Vec<ImportOutcome>, PartnerServiceError> {
        let (partner, _) = self.get(id).await?;
        let partner_user = partner.user_id().unwrap_or_default().to_owned();
        if !caller_is_admin && request.actor_id != partner_user {
            return Err(PartnerServiceError::NotThePartner);
        }
        if partner.is_suspended() {
            return Err(PartnerServiceError::Suspended);
        }
        if items.len() > self.import.max_items {
            return Err(PartnerServiceError::TooManyItems {
                count: items.len(),
                max: self.import.max_items,
            });
        }
        let outcomes: Vec<ImportOutcome> = futures::stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| {
                let partner_user = &partner_user;
                async move {
                    let external_id = item.as_ref().ok().map(|i| i.external_id.clone());
                    let result = match item {
                        Ok(item) => {
                            self.import_one(contents, id, partner_user, item, request)
                                .await
                        }
                        Err(e) => Err(e),
                    };
                    ImportOutcome {
                        index,
                        external_id,
                        result,
                    }
                }
            })
            .buffered(self.import.concurrency.max(1))
            .collect()
            .await;
        Ok(outcomes)
    }

    /// Checks one item and lists it through the content service.
    async fn import_one(
        &self,
        contents: &ContentService,
        partner_id: &str,
        partner_user: &str,
        item: ImportItem,
        request: &Request,
    ) -> Result<Imported, ImportItemError> {
        let content_id = content_id_for(partner_id, &item.external_id)
            .ok_or(ImportItemError::InvalidExternalId)?;
        let creator_id = match item.creator_id {
            None => partner_user.to_owned(),
            Some(creator) => {
                let known = self.users.read(|users| {
                    users
                        .get(&creator)
                        .is_some_and(|u| u.roles.contains(&Role::Creator))
                });
                if !known {
                    return Err(ImportItemError::UnknownCreator(creator));
                }
                creator
            }
        };
        let listing = PartnerListing {
            partner_id: partner_id.to_owned(),
            external_id: item.external_id,
            creator_id,
            kind: item.kind,
            title: item.title,
            summary: item.summary,
            body: item.body,
            tags: item.tags,
            language: item.language,
            price: item.price,
        };
        let executed = contents
            .import_listing(&content_id, listing, request)
            .await?;
        let status = if executed
            .events
            .iter()
            .any(|e| matches!(e, agora_events::domain::content::ContentEvent::Drafted(_)))
        {
            ImportStatus::Created
        } else if executed.events.is_empty() {
            ImportStatus::Unchanged
        } else {
            ImportStatus::Updated
        };
        Ok(Imported {
            content_id,
            status,
            version: executed.version,
            position: executed.position,
        })
    }

    async fn execute(
        &self,
        id: &str,
        command: PartnerCommand,
        request: &Request,
    ) -> Result<Executed<Partner>, PartnerServiceError> {
        if !valid_id(id) {
            return Err(PartnerServiceError::InvalidId);
        }
        let execute = Execute {
            command,
            expected_version: request.if_match.map(Some),
            idempotency_key: request.idempotency_key,
            metadata: request.metadata(),
            now: self.clock.now(),
        };
        Ok(self.registry.execute(id, execute).await?)
    }
}
