//! the renewal and expiry sweeper (see [`crate::sweeper`]): the
//! [`MembershipService`] swept every `sweep_every` of its configuration.

use std::time::Duration;

use super::MembershipService;
use super::service::WeakService;
use crate::sweeper::Swept;

/// The sweeper actor of the [`MembershipService`].
pub type Sweeper = crate::sweeper::Sweeper<MembershipService>;

impl Swept for MembershipService {
    type Weak = WeakService;

    fn weak(&self) -> WeakService {
        self.downgrade()
    }

    fn strong(weak: &WeakService) -> Option<Self> {
        weak.upgrade()
    }

    fn sweep_every(&self) -> Duration {
        self.config().sweep_every
    }

    async fn sweep_once(self) {
        self.sweep().await;
    }
}
