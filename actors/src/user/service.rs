//! The user service: the one function per use case that the HTTP layer
//! calls. It validates what the aggregate cannot see (ids, personal
//! details), seals personal details under the user's key, and sends the
//! command to the user's actor.

use std::sync::Arc;

use agora_events::domain::user::{PersonalDetails, Role};
use agora_events::personal::{KeyStore, PersonalDataError};
use agora_events::{EventMetadata, Timestamp};
use uuid::Uuid;

use super::{User, UserCommand, UserError};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::projection::ProjectionHandle;
use crate::projection::users::{UserRecord, UsersView};

/// Longest client-chosen id.
pub(crate) const MAX_ID_CHARS: usize = 64;

/// Checks a client-chosen id: 1–64 characters of `A-Za-z0-9_-.:`.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// Why personal details were refused (HTTP 422).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PersonalDetailsError {
    /// Not an e-mail address.
    #[error("email is not a valid address")]
    Email,
    /// Not a phone number.
    #[error("phone must be 5 to 32 characters of digits, spaces, +, -, ( and )")]
    Phone,
    /// The real name is empty or too long.
    #[error("real name must be 1 to 200 characters without control characters")]
    RealName,
}

fn check_personal(details: &PersonalDetails) -> Result<PersonalDetails, PersonalDetailsError> {
    let email = details.email.trim();
    let (local, domain) = email.split_once('@').ok_or(PersonalDetailsError::Email)?;
    let email_ok = email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@');
    if !email_ok {
        return Err(PersonalDetailsError::Email);
    }
    let phone = details.phone.as_deref().map(str::trim);
    if let Some(phone) = phone
        && (!(5..=32).contains(&phone.len())
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c)))
    {
        return Err(PersonalDetailsError::Phone);
    }
    let real_name = details.real_name.as_deref().map(str::trim);
    if let Some(name) = real_name
        && (name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control))
    {
        return Err(PersonalDetailsError::RealName);
    }
    Ok(PersonalDetails {
        email: email.to_owned(),
        real_name: real_name.map(str::to_owned),
        phone: phone.map(str::to_owned),
    })
}

/// Why a user use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum UserServiceError {
    /// The id breaks the id rules (400).
    #[error("user id must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId,
    /// Personal details were refused (422).
    #[error(transparent)]
    PersonalDetails(#[from] PersonalDetailsError),
    /// Sealing or opening personal data failed (500/503).
    #[error(transparent)]
    PersonalData(#[from] PersonalDataError),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<UserError>),
}

/// A registration request, personal details in clear.
#[derive(Clone, Debug)]
pub struct Registration {
    /// A client-chosen id, or `None` to have one generated.
    pub id: Option<String>,
    /// Public name.
    pub display_name: String,
    /// Requested roles.
    pub roles: Vec<Role>,
    /// Personal details in clear (sealed before they leave the service).
    pub personal: PersonalDetails,
}

/// A profile change; `None` fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    /// New public name.
    pub display_name: Option<String>,
    /// New e-mail.
    pub email: Option<String>,
    /// New real name.
    pub real_name: Option<String>,
    /// New phone.
    pub phone: Option<String>,
}

/// Registration and profile use cases over the User aggregate.
pub struct UserService {
    registry: Registry<User>,
    keys: Arc<KeyStore>,
    view: ProjectionHandle<UsersView>,
}

impl UserService {
    /// A service over these parts.
    pub fn new(
        registry: Registry<User>,
        keys: Arc<KeyStore>,
        view: ProjectionHandle<UsersView>,
    ) -> Self {
        Self {
            registry,
            keys,
            view,
        }
    }

    /// The users read model.
    pub fn view(&self) -> &ProjectionHandle<UsersView> {
        &self.view
    }

    /// The aggregate registry (for its actor counts).
    pub fn registry(&self) -> &Registry<User> {
        &self.registry
    }

    /// Registers a user. With an idempotency key and no chosen id, the id is
    /// derived from the key, so a repeat lands on the same user and returns
    /// the first outcome. Returns the user's id and what was recorded.
    pub async fn register(
        &self,
        registration: Registration,
        idempotency_key: Option<Uuid>,
        metadata: EventMetadata,
    ) -> Result<(String, Executed<User>), UserServiceError> {
        let id = match (registration.id, idempotency_key) {
            (Some(id), _) if valid_id(&id) => id,
            (Some(_), _) => return Err(UserServiceError::InvalidId),
            (None, Some(key)) => format!("u-{}", key.simple()),
            (None, None) => format!("u-{}", Uuid::now_v7().simple()),
        };
        let personal = check_personal(&registration.personal)?;
        let sealed = {
            let keys = Arc::clone(&self.keys);
            let id = id.clone();
            // Creating a key syncs the key file: keep it off the async threads.
            tokio::task::spawn_blocking(move || {
                keys.ensure_key(&id)?;
                keys.seal(&id, &personal)
            })
            .await
            .map_err(|e| CommandError::Unavailable(format!("sealing task failed: {e}")))??
        };
        let command = UserCommand::Register {
            display_name: registration.display_name,
            roles: registration.roles,
            personal: sealed,
        };
        let executed = self
            .execute(&id, command, None, idempotency_key, metadata)
            .await?;
        Ok((id, executed))
    }

    /// Changes a user's profile if its version is still `if_match` (when given).
    pub async fn update_profile(
        &self,
        id: &str,
        update: ProfileUpdate,
        if_match: Option<u64>,
        idempotency_key: Option<Uuid>,
        metadata: EventMetadata,
    ) -> Result<Executed<User>, UserServiceError> {
        if !valid_id(id) {
            return Err(UserServiceError::InvalidId);
        }
        let personal_changed =
            update.email.is_some() || update.real_name.is_some() || update.phone.is_some();
        let mut expected = if_match.map(Some);
        let personal = if personal_changed {
            // Merge with the aggregate's own state (not the read model, which
            // may lag), and make the write conditional on that version.
            let (user, version) = self.registry.state(id).await?;
            let Some(sealed) = user.personal() else {
                return Err(CommandError::Domain(UserError::NotRegistered).into());
            };
            if let Some(wanted) = if_match
                && Some(wanted) != version
            {
                return Err(CommandError::VersionMismatch {
                    expected: Some(wanted),
                    actual: version,
                }
                .into());
            }
            expected = Some(version);
            let current: PersonalDetails = self.keys.open_sealed(id, sealed)?.unwrap_or_default();
            let merged = PersonalDetails {
                email: update.email.unwrap_or(current.email),
                real_name: update.real_name.or(current.real_name),
                phone: update.phone.or(current.phone),
            };
            let merged = check_personal(&merged)?;
            Some(self.keys.seal(id, &merged)?)
        } else {
            None
        };
        let command = UserCommand::UpdateProfile {
            display_name: update.display_name,
            personal,
        };
        self.execute(id, command, expected, idempotency_key, metadata)
            .await
            .map_err(Into::into)
    }

    /// Opens a user's sealed personal details; `None` once their key is shredded.
    pub fn personal_details(
        &self,
        record: &UserRecord,
    ) -> Result<Option<PersonalDetails>, UserServiceError> {
        Ok(self.keys.open_sealed(&record.id, &record.personal)?)
    }

    async fn execute(
        &self,
        id: &str,
        command: UserCommand,
        expected_version: Option<Option<u64>>,
        idempotency_key: Option<Uuid>,
        metadata: EventMetadata,
    ) -> Result<Executed<User>, CommandError<UserError>> {
        let execute = Execute {
            command,
            expected_version,
            idempotency_key,
            metadata,
            now: Timestamp::now(),
        };
        self.registry.execute(id, execute).await
    }
}

/// Turns a client's `Idempotency-Key` into the id used for it, scoped so
/// the same key on two routes or from two callers never collides.
pub fn idempotency_id(scope: &str, key: &str) -> Uuid {
    let mut hasher = blake3::Hasher::new();
    hasher.update(scope.as_bytes());
    hasher.update(&[0]);
    hasher.update(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_rules() {
        assert!(valid_id("ml-u42"));
        assert!(valid_id("a.b:c_d-e"));
        assert!(!valid_id(""));
        assert!(!valid_id(&"x".repeat(65)));
        assert!(!valid_id("a b"));
        assert!(!valid_id("ü"));
    }

    #[test]
    fn personal_details_are_checked() {
        let ok = PersonalDetails {
            email: " ada@example.org ".into(),
            real_name: Some("Ada".into()),
            phone: Some("+44 20 7946".into()),
        };
        assert_eq!(
            check_personal(&ok).map(|p| p.email),
            Ok("ada@example.org".into())
        );
        for bad in [
            "",
            "ada",
            "@x.org",
            "ada@",
            "ada@org",
            "a da@x.org",
            "ada@.org",
        ] {
            let p = PersonalDetails {
                email: bad.into(),
                ..Default::default()
            };
            assert_eq!(
                check_personal(&p),
                Err(PersonalDetailsError::Email),
                "{bad}"
            );
        }
        let p = PersonalDetails {
            email: "a@b.co".into(),
            phone: Some("12ab5".into()),
            real_name: None,
        };
        assert_eq!(check_personal(&p), Err(PersonalDetailsError::Phone));
    }

    #[test]
    fn idempotency_ids_are_scoped() {
        assert_eq!(
            idempotency_id("POST /v1/users", "k"),
            idempotency_id("POST /v1/users", "k")
        );
        assert_ne!(
            idempotency_id("POST /v1/users", "k"),
            idempotency_id("PATCH /v1/users/x", "k")
        );
    }
}
