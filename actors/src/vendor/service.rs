//! The vendor service: setting a profile (the caller must hold the vendor
//! role, read from the users view) and reading one from the aggregate.

use std::sync::Arc;

use agora_events::domain::user::Role;

use super::{Vendor, VendorCommand, VendorError, VendorProfile};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::content::Request;
use crate::ids::valid_id;
use crate::projection::ProjectionHandle;
use crate::projection::users::UsersView;

/// Why a vendor use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum VendorServiceError {
    /// The vendor id from the URL breaks the id rules (400).
    #[error("the vendor id must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId,
    /// The user is not a known user holding the vendor role (404
    /// `vendor-not-found`).
    #[error("{0:?} is not a known user with the vendor role")]
    NotAVendor(String),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<VendorError>),
}

/// Vendor use cases over the Vendor aggregate.
#[derive(Clone)]
pub struct VendorService {
    registry: Arc<Registry<Vendor>>,
    users: ProjectionHandle<UsersView>,
    clock: Clock,
}

impl VendorService {
    /// A service over `registry`, checking roles in `users`, stamping
    /// commands with `clock`.
    pub fn new(
        registry: Arc<Registry<Vendor>>,
        users: ProjectionHandle<UsersView>,
        clock: Clock,
    ) -> Self {
        Self {
            registry,
            users,
            clock,
        }
    }

    /// The aggregate registry (shared with the requirement service, which
    /// reads a bidder's profile from it).
    pub fn registry(&self) -> &Arc<Registry<Vendor>> {
        &self.registry
    }

    /// Whether `user_id` is a known user holding the vendor role.
    pub fn is_vendor(&self, user_id: &str) -> bool {
        self.users.read(|users| {
            users
                .get(user_id)
                .is_some_and(|u| u.roles.contains(&Role::Vendor))
        })
    }

    /// Sets vendor `id`'s profile on behalf of `request.actor_id` (the
    /// vendor itself, or an admin when `by_admin`).
    pub async fn set_profile(
        &self,
        id: &str,
        profile: VendorProfile,
        by_admin: bool,
        request: &Request,
    ) -> Result<Executed<Vendor>, VendorServiceError> {
        if !valid_id(id) {
            return Err(VendorServiceError::InvalidId);
        }
        if !self.is_vendor(id) {
            return Err(VendorServiceError::NotAVendor(id.to_owned()));
        }
        let execute = Execute {
            command: VendorCommand::SetProfile { profile, by_admin },
            expected_version: request.if_match.map(Some),
            idempotency_key: request.idempotency_key,
            metadata: request.metadata(),
            now: self.clock.now(),
        };
        Ok(self.registry.execute(id, execute).await?)
    }
}
