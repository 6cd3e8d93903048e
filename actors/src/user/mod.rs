//! The User aggregate: registration and profile. Personal details arrive
//! already sealed (the [`UserService`] seals them), so deciding stays pure.

mod password;
mod service;

pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordError};

/// Kept for callers of the old path; the rules live in [`crate::ids`].
pub use crate::ids::{idempotency_id, valid_id};
pub use service::{
    PersonalDetailsError, Principal, ProfileUpdate, Registration, Session, UserService,
    UserServiceError,
};

use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::user::{
    PasswordSet, PersonalDataErased, Role, SessionEnded, SessionStarted, UserEvent,
    UserProfileChanged, UserRegistered,
};
use agora_events::personal::Sealed;

use crate::aggregate::{Aggregate, CommandContext};

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// Commands a user accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserCommand {
    /// Join the platform.
    Register {
        /// Public name.
        display_name: String,
        /// Requested roles.
        roles: Vec<Role>,
        /// Personal details, sealed for this user.
        personal: Sealed,
        /// The password's argon2id PHC string, sealed for this user.
        credential: Option<Sealed>,
    },
    /// Set or change the password.
    SetPassword {
        /// The new password's argon2id PHC string, sealed for this user.
        credential: Sealed,
    },
    /// Start a session (the password was checked by the caller).
    StartSession {
        /// The new session's id.
        session_id: String,
        /// BLAKE3 of the bearer token.
        token_hash: [u8; 32],
        /// When the token stops being accepted.
        expires_at: Timestamp,
    },
    /// End a session (logout).
    EndSession {
        /// The session to end.
        session_id: String,
    },
    /// Erase the personal data (the caller then destroys the data key);
    /// a repeat changes nothing.
    ErasePersonalData,
    /// Change the public name and/or the personal details.
    UpdateProfile {
        /// The new public name.
        display_name: Option<String>,
        /// All personal details, sealed anew.
        personal: Option<Sealed>,
    },
}

/// Why a user refuses a command. Each is a client error (HTTP 409 for state
/// conflicts, 422 for invalid values).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The user exists already (409).
    #[error("the user is already registered")]
    AlreadyRegistered,
    /// The user does not exist (404).
    #[error("the user is not registered")]
    NotRegistered,
    /// The display name breaks a rule (422).
    #[error("display name {0}")]
    InvalidDisplayName(&'static str),
    /// A user needs at least one role (422).
    #[error("at least one role is required")]
    NoRoles,
    /// The user has no password, so cannot log in (401).
    #[error("the user has no password")]
    NoPassword,
    /// The session is unknown or already ended (404).
    #[error("no such session")]
    NoSuchSession,
    /// A session must expire after it starts (422).
    #[error("a session must expire in the future")]
    SessionExpiry,
    /// The user's personal data was erased: the account is closed (409).
    #[error("the user's personal data was erased; the account is closed")]
    Erased,
}

/// A user's decision state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    registered: bool,
    display_name: String,
    roles: Vec<Role>,
    personal: Option<Sealed>,
    credential: Option<Sealed>,
    /// Open sessions and when they expire.
    sessions: BTreeMap<String, Timestamp>,
    /// Whether the personal data was erased (the account is closed).
    erased: bool,
}

impl User {
    /// Whether the user has registered.
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// The current public name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The granted roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The sealed personal details.
    pub fn personal(&self) -> Option<&Sealed> {
        self.personal.as_ref()
    }

    /// The sealed password credential.
    pub fn credential(&self) -> Option<&Sealed> {
        self.credential.as_ref()
    }

    /// Whether the personal data was erased.
    pub fn is_erased(&self) -> bool {
        self.erased
    }
}

/// Trims and checks a display name.
pub fn valid_display_name(name: &str) -> Result<String, UserError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UserError::InvalidDisplayName("is empty"));
    }
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(UserError::InvalidDisplayName(
            "is longer than 80 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(UserError::InvalidDisplayName(
            "contains a control character",
        ));
    }
    Ok(name.to_owned())
}

impl Aggregate for User {
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    const CATEGORY: &'static str = "user";

    fn handle(
        &self,
        command: &UserCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<UserEvent>, UserError> {
        if self.erased {
            return match command {
                // A repeat erasure changes nothing; logging out of a session
                // that no longer exists is refused as any unknown session.
                UserCommand::ErasePersonalData => Ok(Vec::new()),
                UserCommand::EndSession { .. } => Err(UserError::NoSuchSession),
                UserCommand::Register { .. } => Err(UserError::AlreadyRegistered),
                _ => Err(UserError::Erased),
            };
        }
        match command {
            UserCommand::ErasePersonalData => {
                if !self.registered {
                    return Err(UserError::NotRegistered);
                }
                Ok(vec![UserEvent::PersonalDataErased(PersonalDataErased {
                    erased_at: ctx.now,
                })])
            }
            UserCommand::Register {
                display_name,
                roles,
                personal,
                credential,
            } => {
                if self.registered {
                    return Err(UserError::AlreadyRegistered);
                }
                let display_name = valid_display_name(display_name)?;
                let mut roles = roles.clone();
                roles.sort();
                roles.dedup();
                if roles.is_empty() {
                    return Err(UserError::NoRoles);
                }
                let mut events = vec![UserEvent::Registered(UserRegistered {
                    user_id: ctx.aggregate_id.clone(),
                    display_name,
                    roles,
                    personal: personal.clone(),
                    registered_at: ctx.now,
                })];
                if let Some(credential) = credential {
                    events.push(UserEvent::PasswordSet(PasswordSet {
                        credential: credential.clone(),
                        set_at: ctx.now,
                    }));
                }
                Ok(events)
            }
            UserCommand::SetPassword { credential } => {
                if !self.registered {
                    return Err(UserError::NotRegistered);
                }
                Ok(vec![UserEvent::PasswordSet(PasswordSet {
                    credential: credential.clone(),
                    set_at: ctx.now,
                })])
            }
            UserCommand::StartSession {
                session_id,
                token_hash,
                expires_at,
            } => {
                if !self.registered {
                    return Err(UserError::NotRegistered);
                }
                if self.credential.is_none() {
                    return Err(UserError::NoPassword);
                }
                if *expires_at <= ctx.now {
                    return Err(UserError::SessionExpiry);
                }
                Ok(vec![UserEvent::SessionStarted(SessionStarted {
                    session_id: session_id.clone(),
                    token_hash: *token_hash,
                    expires_at: *expires_at,
                    started_at: ctx.now,
                })])
            }
            UserCommand::EndSession { session_id } => {
                if !self.sessions.contains_key(session_id) {
                    return Err(UserError::NoSuchSession);
                }
                Ok(vec![UserEvent::SessionEnded(SessionEnded {
                    session_id: session_id.clone(),
                    ended_at: ctx.now,
                })])
            }
            UserCommand::UpdateProfile {
                display_name,
                personal,
            } => {
                if !self.registered {
                    return Err(UserError::NotRegistered);
                }
                let display_name = display_name
                    .as_deref()
                    .map(valid_display_name)
                    .transpose()?;
                let display_name = display_name.filter(|n| *n != self.display_name);
                let personal = personal
                    .clone()
                    .filter(|p| Some(p) != self.personal.as_ref());
                if display_name.is_none() && personal.is_none() {
                    return Ok(Vec::new());
                }
                Ok(vec![UserEvent::ProfileChanged(UserProfileChanged {
                    display_name,
                    personal,
                    changed_at: ctx.now,
                })])
            }
        }
    }

    fn apply(&mut self, event: &UserEvent) {
        match event {
            UserEvent::Registered(e) => {
                self.registered = true;
                self.display_name.clone_from(&e.display_name);
                self.roles.clone_from(&e.roles);
                self.personal = Some(e.personal.clone());
            }
            UserEvent::ProfileChanged(e) => {
                if let Some(name) = &e.display_name {
                    self.display_name.clone_from(name);
                }
                if let Some(personal) = &e.personal {
                    self.personal = Some(personal.clone());
                }
            }
            UserEvent::PasswordSet(e) => self.credential = Some(e.credential.clone()),
            UserEvent::SessionStarted(e) => {
                // Sessions expired by this login's time are gone for good
                // (as in the users view), so the state stays small.
                self.sessions
                    .retain(|_, expires_at| *expires_at > e.started_at);
                self.sessions.insert(e.session_id.clone(), e.expires_at);
            }
            UserEvent::SessionEnded(e) => {
                self.sessions.remove(&e.session_id);
            }
            UserEvent::PersonalDataErased(_) => {
                self.erased = true;
                self.personal = None;
                self.credential = None;
                self.sessions.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::testing::Story;
    use agora_events::Timestamp;

    pub(super) fn sealed(n: u8) -> Sealed {
        Sealed {
            nonce: [n; 24],
            ciphertext: vec![n; 20],
        }
    }

    fn registered() -> UserEvent {
        UserEvent::Registered(UserRegistered {
            user_id: "u1".into(),
            display_name: "Ada".into(),
            roles: vec![Role::Learner],
            personal: sealed(1),
            registered_at: Timestamp(1),
        })
    }

    #[test]
    fn a_new_user_registers_with_sorted_unique_roles() {
        Story::<User>::new("u1")
            .at(Timestamp(1))
            .given([])
            .when(&UserCommand::Register {
                display_name: "  Ada ".into(),
                roles: vec![Role::Learner, Role::Creator, Role::Learner],
                personal: sealed(1),
                credential: None,
            })
            .then_events(&[UserEvent::Registered(UserRegistered {
                user_id: "u1".into(),
                display_name: "Ada".into(),
                roles: vec![Role::Learner, Role::Creator],
                personal: sealed(1),
                registered_at: Timestamp(1),
            })]);
    }

    #[test]
    fn registering_twice_is_refused() {
        Story::<User>::new("u1")
            .given([registered()])
            .when(&UserCommand::Register {
                display_name: "Ada".into(),
                roles: vec![Role::Learner],
                personal: sealed(1),
                credential: None,
            })
            .then_error(&UserError::AlreadyRegistered);
    }

    #[test]
    fn registration_needs_a_name_and_a_role() {
        Story::<User>::new("u1")
            .when(&UserCommand::Register {
                display_name: " ".into(),
                roles: vec![Role::Learner],
                personal: sealed(1),
                credential: None,
            })
            .then_error(&UserError::InvalidDisplayName("is empty"));
        Story::<User>::new("u1")
            .when(&UserCommand::Register {
                display_name: "x".repeat(81),
                roles: vec![Role::Learner],
                personal: sealed(1),
                credential: None,
            })
            .then_error(&UserError::InvalidDisplayName(
                "is longer than 80 characters",
            ));
        Story::<User>::new("u1")
            .when(&UserCommand::Register {
                display_name: "Ada".into(),
                roles: vec![],
                personal: sealed(1),
                credential: None,
            })
            .then_error(&UserError::NoRoles);
    }

    #[test]
    fn a_profile_change_records_only_what_changed() {
        let state = Story::<User>::new("u1")
            .at(Timestamp(2))
            .given([registered()])
            .when(&UserCommand::UpdateProfile {
                display_name: Some("Ada".into()),
                personal: Some(sealed(2)),
            })
            .then_events(&[UserEvent::ProfileChanged(UserProfileChanged {
                display_name: None,
                personal: Some(sealed(2)),
                changed_at: Timestamp(2),
            })]);
        assert_eq!(state.display_name(), "Ada");
    }

    #[test]
    fn an_unchanged_profile_records_nothing() {
        Story::<User>::new("u1")
            .given([registered()])
            .when(&UserCommand::UpdateProfile {
                display_name: Some("Ada".into()),
                personal: Some(sealed(1)),
            })
            .then_events(&[]);
    }

    #[test]
    fn only_registered_users_change_their_profile() {
        Story::<User>::new("u1")
            .when(&UserCommand::UpdateProfile {
                display_name: Some("Bo".into()),
                personal: None,
            })
            .then_error(&UserError::NotRegistered);
    }
}

#[cfg(test)]
mod session_tests {
    use super::tests::sealed;
    use super::*;
    use crate::aggregate::testing::Story;

    fn registered_with_password() -> [UserEvent; 2] {
        [
            UserEvent::Registered(UserRegistered {
                user_id: "u1".into(),
                display_name: "Ada".into(),
                roles: vec![Role::Learner],
                personal: sealed(1),
                registered_at: Timestamp(1),
            }),
            UserEvent::PasswordSet(PasswordSet {
                credential: sealed(5),
                set_at: Timestamp(1),
            }),
        ]
    }

    #[test]
    fn registering_with_a_password_records_it() {
        Story::<User>::new("u1")
            .at(Timestamp(1))
            .when(&UserCommand::Register {
                display_name: "Ada".into(),
                roles: vec![Role::Learner],
                personal: sealed(1),
                credential: Some(sealed(5)),
            })
            .then_events(&registered_with_password());
    }

    #[test]
    fn a_session_starts_and_ends() {
        let start = UserCommand::StartSession {
            session_id: "s1".into(),
            token_hash: [7; 32],
            expires_at: Timestamp(100),
        };
        let state = Story::<User>::new("u1")
            .at(Timestamp(10))
            .given(registered_with_password())
            .when(&start)
            .then_events(&[UserEvent::SessionStarted(SessionStarted {
                session_id: "s1".into(),
                token_hash: [7; 32],
                expires_at: Timestamp(100),
                started_at: Timestamp(10),
            })]);
        assert!(state.sessions.contains_key("s1"));
        let mut given = registered_with_password().to_vec();
        given.push(UserEvent::SessionStarted(SessionStarted {
            session_id: "s1".into(),
            token_hash: [7; 32],
            expires_at: Timestamp(100),
            started_at: Timestamp(10),
        }));
        Story::<User>::new("u1")
            .at(Timestamp(20))
            .given(given.clone())
            .when(&UserCommand::EndSession {
                session_id: "s1".into(),
            })
            .then_events(&[UserEvent::SessionEnded(SessionEnded {
                session_id: "s1".into(),
                ended_at: Timestamp(20),
            })]);
        given.push(UserEvent::SessionEnded(SessionEnded {
            session_id: "s1".into(),
            ended_at: Timestamp(20),
        }));
        Story::<User>::new("u1")
            .given(given)
            .when(&UserCommand::EndSession {
                session_id: "s1".into(),
            })
            .then_error(&UserError::NoSuchSession);
    }

    #[test]
    fn sessions_need_a_password_and_a_future_expiry() {
        let start = UserCommand::StartSession {
            session_id: "s1".into(),
            token_hash: [7; 32],
            expires_at: Timestamp(100),
        };
        Story::<User>::new("u1")
            .given([registered_with_password()[0].clone()])
            .when(&start)
            .then_error(&UserError::NoPassword);
        Story::<User>::new("u1")
            .at(Timestamp(100))
            .given(registered_with_password())
            .when(&start)
            .then_error(&UserError::SessionExpiry);
        Story::<User>::new("u1")
            .when(&start)
            .then_error(&UserError::NotRegistered);
    }

    #[test]
    fn erasure_closes_the_account_and_a_repeat_changes_nothing() {
        let erased = UserEvent::PersonalDataErased(PersonalDataErased {
            erased_at: Timestamp(2),
        });
        Story::<User>::new("u1")
            .at(Timestamp(2))
            .given([registered_with_password()[0].clone()])
            .when(&UserCommand::ErasePersonalData)
            .then_events(std::slice::from_ref(&erased));
        Story::<User>::new("u1")
            .at(Timestamp(3))
            .given([registered_with_password()[0].clone(), erased.clone()])
            .when(&UserCommand::ErasePersonalData)
            .then_events(&[]);
        Story::<User>::new("u1")
            .at(Timestamp(3))
            .given([registered_with_password()[0].clone(), erased])
            .when(&UserCommand::SetPassword {
                credential: sealed(2),
            })
            .then_error(&UserError::Erased);
        Story::<User>::new("u1")
            .given([])
            .when(&UserCommand::ErasePersonalData)
            .then_error(&UserError::NotRegistered);
    }
}
