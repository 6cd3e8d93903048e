//! The users read model: every registered user's public profile and sealed
//! personal details, by id.

use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;
use agora_events::domain::user::{Role, UserEvent};
use agora_events::personal::Sealed;
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};
use crate::aggregate::Aggregate;
use crate::user::User;

/// One user as the read side sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user's id.
    pub id: String,
    /// Public name.
    pub display_name: String,
    /// Granted roles.
    pub roles: Vec<Role>,
    /// Personal details, sealed; opened only when a query needs them.
    pub personal: Sealed,
    /// The aggregate version this record reflects (the HTTP `ETag`).
    pub version: u64,
    /// When the user registered.
    pub registered_at: Timestamp,
    /// When the profile last changed.
    pub updated_at: Timestamp,
    /// Whether the personal data was erased (the account is closed).
    #[serde(default)]
    pub erased: bool,
}

/// A live session: its bearer token stands for the user until it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The user it authenticates.
    pub user_id: String,
    /// The session's id.
    pub session_id: String,
    /// When the token stops being accepted.
    pub expires_at: Timestamp,
}

/// All users by id, and the open sessions by token hash.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UsersView {
    users: BTreeMap<String, UserRecord>,
    sessions: BTreeMap<[u8; 32], SessionRecord>,
    /// Each user's session token hashes, so ending or pruning one user's
    /// sessions never scans everyone's.
    sessions_by_user: BTreeMap<String, Vec<[u8; 32]>>,
}

impl UsersView {
    /// The user with this id.
    pub fn get(&self, id: &str) -> Option<&UserRecord> {
        self.users.get(id)
    }

    /// The live session whose token hashes to `token_hash`, if it has not
    /// expired at `now`.
    pub fn session(&self, token_hash: &[u8; 32], now: Timestamp) -> Option<&SessionRecord> {
        self.sessions.get(token_hash).filter(|s| s.expires_at > now)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl Projection for UsersView {
    const NAME: &'static str = "users";
    const VERSION: u32 = 4;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let event = event.recorded();
        let Some(id) = event
            .stream
            .as_str()
            .strip_prefix(User::CATEGORY)
            .and_then(|s| s.strip_prefix('-'))
        else {
            return Ok(());
        };
        match UserEvent::from_recorded(event).map_err(|e| e.to_string())? {
            UserEvent::Registered(e) => {
                self.users.insert(
                    id.to_owned(),
                    UserRecord {
                        id: id.to_owned(),
                        display_name: e.display_name,
                        roles: e.roles,
                        personal: e.personal,
                        version: event.version,
                        registered_at: e.registered_at,
                        updated_at: e.registered_at,
                        erased: false,
                    },
                );
            }
            UserEvent::ProfileChanged(e) => {
                let record = self
                    .users
                    .get_mut(id)
                    .ok_or("profile change of an unknown user")?;
                if let Some(name) = e.display_name {
                    record.display_name = name;
                }
                if let Some(personal) = e.personal {
                    record.personal = personal;
                }
                record.version = event.version;
                record.updated_at = e.changed_at;
            }
            UserEvent::PasswordSet(e) => {
                let record = self
                    .users
                    .get_mut(id)
                    .ok_or("password of an unknown user")?;
                record.version = event.version;
                record.updated_at = e.set_at;
            }
            UserEvent::SessionStarted(e) => {
                let record = self.users.get_mut(id).ok_or("session of an unknown user")?;
                record.version = event.version;
                // Forget this user's sessions that expired by now (the event's
                // own time, so a replay prunes exactly the same ones).
                let hashes = self.sessions_by_user.entry(id.to_owned()).or_default();
                hashes.retain(|hash| {
                    let live = self
                        .sessions
                        .get(hash)
                        .is_some_and(|s| s.expires_at > e.started_at);
                    if !live {
                        self.sessions.remove(hash);
                    }
                    live
                });
                hashes.push(e.token_hash);
                self.sessions.insert(
                    e.token_hash,
                    SessionRecord {
                        user_id: id.to_owned(),
                        session_id: e.session_id,
                        expires_at: e.expires_at,
                    },
                );
            }
            UserEvent::PersonalDataErased(e) => {
                let record = self.users.get_mut(id).ok_or("erasure of an unknown user")?;
                record.version = event.version;
                record.updated_at = e.erased_at;
                record.erased = true;
                // The account is closed: every token of it stops at once.
                for hash in self.sessions_by_user.remove(id).unwrap_or_default() {
                    self.sessions.remove(&hash);
                }
            }
            UserEvent::SessionEnded(e) => {
                let record = self.users.get_mut(id).ok_or("session of an unknown user")?;
                record.version = event.version;
                if let Some(hashes) = self.sessions_by_user.get_mut(id) {
                    hashes.retain(|hash| {
                        let ended = self
                            .sessions
                            .get(hash)
                            .is_some_and(|s| s.session_id == e.session_id);
                        if ended {
                            self.sessions.remove(hash);
                        }
                        !ended
                    });
                }
            }
        }
        Ok(())
    }
}
