//! the automatic-acceptance sweeper (see [`crate::sweeper`]): the
//! [`ContractService`] swept every `sweep_every` of its configuration.

use std::time::Duration;

use super::ContractService;
use super::service::WeakService;
use crate::sweeper::Swept;

/// The sweeper actor of the [`ContractService`].
pub type Sweeper = crate::sweeper::Sweeper<ContractService>;

impl Swept for ContractService {
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
