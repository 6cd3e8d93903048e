//! Demo data for `agora serve --demo`: a few users, one per kind of
//! participant, registered through the normal command path with fixed ids,
//! so seeding twice changes nothing.

use agora_actors::aggregate::CommandError;
use agora_actors::user::{Registration, UserError, UserServiceError};
use agora_events::EventMetadata;
use agora_events::domain::user::{PersonalDetails, Role};

use crate::domain::Domain;

/// The password of every demo user.
pub(crate) const DEMO_PASSWORD: &str = "demo-password";

/// `(id, display name, role)` of each demo user.
const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("demo-learner", "Lin the Learner", Role::Learner),
    ("demo-creator", "Cai the Creator", Role::Creator),
    ("demo-vendor", "Vee the Vendor", Role::Vendor),
    ("demo-client", "Cleo the Client", Role::Client),
];

/// Registers the demo users that are missing.
pub(crate) async fn seed(domain: &Domain) -> anyhow::Result<()> {
    let mut created = 0;
    for (id, name, role) in DEMO_USERS {
        let registration = Registration {
            id: Some((*id).to_owned()),
            display_name: (*name).to_owned(),
            roles: vec![*role],
            personal: PersonalDetails {
                email: format!("{id}@demo.agora.example"),
                real_name: None,
                phone: None,
            },
            password: Some(DEMO_PASSWORD.to_owned()),
        };
        let metadata = EventMetadata {
            actor_id: Some("agora-demo".into()),
            ..EventMetadata::default()
        };
        match domain.users.register(registration, None, metadata).await {
            Ok(_) => created += 1,
            Err(UserServiceError::Command(CommandError::Domain(UserError::AlreadyRegistered))) => {}
            Err(e) => return Err(anyhow::anyhow!("seeding demo user {id}: {e}")),
        }
    }
    tracing::info!(
        created,
        password = DEMO_PASSWORD,
        "demo users ready: demo-learner, demo-creator, demo-vendor, demo-client"
    );
    Ok(())
}
