//! The requirement service: the one function per use case that the HTTP
//! layer (and the seed) calls. It checks ids from the URL, generates
//! requirement ids, reads what the aggregate cannot see — whether the
//! bidding vendor has a profile (from the Vendor aggregate itself, always
//! current) and whether its awarded requirements fill its capacity (from
//! the requirements view) — and stamps commands with the clock.

use std::sync::Arc;

use agora_events::domain::requirement::RequirementAwarded;
use uuid::Uuid;

use super::{
    BidStanding, NewBid, NewTerms, Requirement, RequirementCommand, RequirementError, TermsPatch,
};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::content::Request;
use crate::ids::valid_id;
use crate::projection::ProjectionHandle;
use crate::projection::requirements::RequirementsView;
use crate::projection::vendors::VendorsView;
use crate::vendor::Vendor;

/// Why a requirement use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum RequirementServiceError {
    /// An id (named) from the request breaks the id rules (400).
    #[error("the {0} must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId(&'static str),
    /// The vendor's profile could not be read (as [`CommandError`]).
    #[error("reading the vendor's profile: {0}")]
    Vendor(String),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<RequirementError>),
}

/// A new requirement: a client-chosen id or none, and its terms.
#[derive(Clone, Debug)]
pub struct NewRequirement {
    /// A client-chosen id, or `None` to have one generated.
    pub id: Option<String>,
    /// Its terms.
    pub terms: NewTerms,
}

struct Inner {
    registry: Registry<Requirement>,
    vendors: Arc<Registry<Vendor>>,
    view: ProjectionHandle<RequirementsView>,
    vendor_view: ProjectionHandle<VendorsView>,
    clock: Clock,
}

/// Requirement use cases over the Requirement aggregate and its view.
#[derive(Clone)]
pub struct RequirementService {
    inner: Arc<Inner>,
}

impl RequirementService {
    /// A service over these parts, stamping commands with `clock`.
    pub fn new(
        registry: Registry<Requirement>,
        vendors: Arc<Registry<Vendor>>,
        view: ProjectionHandle<RequirementsView>,
        vendor_view: ProjectionHandle<VendorsView>,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                vendors,
                view,
                vendor_view,
                clock,
            }),
        }
    }

    /// The requirements read model.
    pub fn view(&self) -> &ProjectionHandle<RequirementsView> {
        &self.inner.view
    }

    /// The vendors read model.
    pub fn vendor_view(&self) -> &ProjectionHandle<VendorsView> {
        &self.inner.vendor_view
    }

    /// The aggregate registry (for its actor counts).
    pub fn registry(&self) -> &Registry<Requirement> {
        &self.inner.registry
    }

    /// The clock commands are stamped with.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Posts a requirement for the caller (its client). The id is the
    /// client's (checked) or `rq-<uuid>`, derived from the idempotency key
    /// when there is one.
    pub async fn post(
        &self,
        new: NewRequirement,
        request: &Request,
    ) -> Result<(String, Executed<Requirement>), RequirementServiceError> {
        let id = match new.id {
            Some(id) if valid_id(&id) => id,
            Some(_) => return Err(RequirementServiceError::InvalidId("requirement id")),
            None => format!(
                "rq-{}",
                request
                    .idempotency_key
                    .unwrap_or_else(Uuid::now_v7)
                    .simple()
            ),
        };
        let executed = self
            .execute(&id, RequirementCommand::Post { terms: new.terms }, request)
            .await?;
        Ok((id, executed))
    }

    /// Edits (before any bid) or extends (after) the requirement.
    pub async fn edit(
        &self,
        id: &str,
        patch: TermsPatch,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        self.execute(id, RequirementCommand::Edit { patch }, request)
            .await
    }

    /// Cancels the requirement, releasing every live bid.
    pub async fn cancel(
        &self,
        id: &str,
        reason: String,
        by_admin: bool,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        self.execute(id, RequirementCommand::Cancel { reason, by_admin }, request)
            .await
    }

    /// The caller places its bid.
    pub async fn bid(
        &self,
        id: &str,
        bid: NewBid,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        let standing = self.standing(&request.actor_id).await?;
        self.execute(id, RequirementCommand::Bid { bid, standing }, request)
            .await
    }

    /// The caller revises its live bid.
    pub async fn revise(
        &self,
        id: &str,
        bid: NewBid,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        let standing = self.standing(&request.actor_id).await?;
        self.execute(id, RequirementCommand::Revise { bid, standing }, request)
            .await
    }

    /// Withdraws `vendor_id`'s live bid (that vendor, or an admin).
    pub async fn withdraw(
        &self,
        id: &str,
        vendor_id: &str,
        by_admin: bool,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        if !valid_id(vendor_id) {
            return Err(RequirementServiceError::InvalidId("vendor id"));
        }
        let command = RequirementCommand::Withdraw {
            vendor_id: vendor_id.to_owned(),
            by_admin,
        };
        self.execute(id, command, request).await
    }

    /// Awards the requirement to `vendor_id`'s live bid (the client). The
    /// contract to open has the requirement's id.
    pub async fn award(
        &self,
        id: &str,
        vendor_id: &str,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        if !valid_id(vendor_id) {
            return Err(RequirementServiceError::InvalidId("vendor id"));
        }
        let command = RequirementCommand::Award {
            vendor_id: vendor_id.to_owned(),
        };
        self.execute(id, command, request).await
    }

    /// The award of requirement `id`, read from its aggregate (always
    /// current); `None` while it is not awarded.
    pub async fn awarded(
        &self,
        id: &str,
    ) -> Result<Option<RequirementAwarded>, RequirementServiceError> {
        if !valid_id(id) {
            return Err(RequirementServiceError::InvalidId("requirement id"));
        }
        let (requirement, _) = self.inner.registry.state(id).await?;
        Ok(requirement.awarded().cloned())
    }

    /// Whether `vendor_id` has a profile (read from its aggregate, so a
    /// profile set just before counts) and whether the requirements
    /// awarded to it fill its capacity.
    pub async fn standing(&self, vendor_id: &str) -> Result<BidStanding, RequirementServiceError> {
        if !valid_id(vendor_id) {
            return Err(RequirementServiceError::InvalidId("vendor id"));
        }
        let (vendor, _) = self
            .inner
            .vendors
            .state(vendor_id)
            .await
            .map_err(|e| RequirementServiceError::Vendor(e.to_string()))?;
        let Some(profile) = vendor.profile() else {
            return Ok(BidStanding {
                has_profile: false,
                at_capacity: false,
            });
        };
        let load = self.inner.view.read(|view| view.awarded_to(vendor_id));
        Ok(BidStanding {
            has_profile: true,
            at_capacity: load >= u64::from(profile.capacity),
        })
    }

    async fn execute(
        &self,
        id: &str,
        command: RequirementCommand,
        request: &Request,
    ) -> Result<Executed<Requirement>, RequirementServiceError> {
        if !valid_id(id) {
            return Err(RequirementServiceError::InvalidId("requirement id"));
        }
        let execute = Execute {
            command,
            expected_version: request.if_match.map(Some),
            idempotency_key: request.idempotency_key,
            metadata: request.metadata(),
            now: self.inner.clock.now(),
        };
        Ok(self.inner.registry.execute(id, execute).await?)
    }
}
