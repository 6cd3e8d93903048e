//! Events of the User aggregate. Personal fields (e-mail, real name, phone)
//! only ever appear sealed (see [`crate::personal`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use crate::model::Timestamp;
use crate::personal::Sealed;

/// What a user may do on the platform.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Buys, rates and follows content.
    Learner,
    /// Publishes content.
    Creator,
    /// Bids on outsourcing requirements.
    Vendor,
    /// Posts outsourcing requirements.
    Client,
    /// A partner platform importing catalogs.
    Partner,
    /// Reads and replays the event history.
    Auditor,
    /// Runs the platform.
    Admin,
}

/// The personal fields of a user, as they are sealed into events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDetails {
    /// Contact e-mail address.
    pub email: String,
    /// Legal name, if given.
    pub real_name: Option<String>,
    /// Phone number, if given.
    pub phone: Option<String>,
}

/// A user joined the platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserRegistered {
    /// The user's id (also the key of their personal data).
    pub user_id: String,
    /// Public name.
    pub display_name: String,
    /// Granted roles, sorted, without repeats.
    pub roles: Vec<Role>,
    /// [`PersonalDetails`], sealed for `user_id`.
    pub personal: Sealed,
    /// When the registration was accepted.
    pub registered_at: Timestamp,
}

/// A user changed their profile; absent fields are unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserProfileChanged {
    /// The new public name.
    pub display_name: Option<String>,
    /// The new [`PersonalDetails`] (all of them), sealed for the user.
    pub personal: Option<Sealed>,
    /// When the change was accepted.
    pub changed_at: Timestamp,
}

/// A user's password was set or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PasswordSet {
    /// The argon2id PHC string of the password, sealed for the user, so a
    /// forgotten user's credential is gone with their key. The password
    /// itself is never stored or logged.
    pub credential: Sealed,
    /// When it was set.
    pub set_at: Timestamp,
}

/// A user logged in: a bearer token now stands for them until it expires
/// or the session ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionStarted {
    /// The session's id.
    pub session_id: String,
    /// BLAKE3 of the bearer token (the token itself is only ever in the
    /// client's hands).
    pub token_hash: [u8; 32],
    /// When the token stops being accepted.
    pub expires_at: Timestamp,
    /// When the session started.
    pub started_at: Timestamp,
}

/// A session ended (logout): its token is no longer accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionEnded {
    /// The session's id.
    pub session_id: String,
    /// When it ended.
    pub ended_at: Timestamp,
}

/// A user's personal data was erased: their data key is destroyed, so
/// every sealed field they ever had (e-mail, real name, phone, the
/// password credential) is unreadable for good. The account is closed for
/// logging in; its id, public name and history stay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataErased {
    /// When the erasure was accepted.
    pub erased_at: Timestamp,
}

domain_events! {
    /// Every event of the User aggregate.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum UserEvent;
    /// A user event before its payload is decoded.
    pub enum LazyUserEvent;
    /// See [`UserRegistered`].
    Registered(UserRegistered) = "UserRegistered" version 1,
    /// See [`UserProfileChanged`].
    ProfileChanged(UserProfileChanged) = "UserProfileChanged" version 1,
    /// See [`PasswordSet`].
    PasswordSet(PasswordSet) = "UserPasswordSet" version 1,
    /// See [`SessionStarted`].
    SessionStarted(SessionStarted) = "UserSessionStarted" version 1,
    /// See [`SessionEnded`].
    SessionEnded(SessionEnded) = "UserSessionEnded" version 1,
    /// See [`PersonalDataErased`].
    PersonalDataErased(PersonalDataErased) = "UserPersonalDataErased" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    #[test]
    fn user_events_round_trip() {
        let sealed = Sealed {
            nonce: [1; 24],
            ciphertext: vec![1, 2, 3],
        };
        let events = [
            UserEvent::Registered(UserRegistered {
                user_id: "u1".into(),
                display_name: "Ada".into(),
                roles: vec![Role::Learner, Role::Creator],
                personal: sealed,
                registered_at: Timestamp(5),
            }),
            UserEvent::ProfileChanged(UserProfileChanged {
                display_name: Some("Ada L.".into()),
                personal: None,
                changed_at: Timestamp(6),
            }),
            UserEvent::PasswordSet(PasswordSet {
                credential: Sealed {
                    nonce: [2; 24],
                    ciphertext: vec![9; 40],
                },
                set_at: Timestamp(7),
            }),
            UserEvent::SessionStarted(SessionStarted {
                session_id: "s1".into(),
                token_hash: [3; 32],
                expires_at: Timestamp(99),
                started_at: Timestamp(8),
            }),
            UserEvent::SessionEnded(SessionEnded {
                session_id: "s1".into(),
                ended_at: Timestamp(9),
            }),
        ];
        let listed: Vec<_> = schemas()
            .iter()
            .map(|s| (s.event_type, s.version))
            .collect();
        for event in events {
            assert!(
                listed.contains(&(event.event_type(), event.schema_version())),
                "{} has no schema listed",
                event.event_type()
            );
            let bytes = event.encode_payload().unwrap_or_default();
            let back = UserEvent::decode(event.event_type(), event.schema_version(), &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert!(UserEvent::decode("UserRegistered", 2, &[]).is_err());
        assert!(UserEvent::decode("Nope", 1, &[]).is_err());
    }
}
