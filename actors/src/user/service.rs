//! The user service: the one function per use case that the HTTP layer
//! calls. It validates what the aggregate cannot see (ids, personal
//! details), seals personal details under the user's key, and sends the
//! command to the user's actor.

use std::sync::Arc;

use agora_events::domain::user::{PersonalDetails, Role};
use agora_events::personal::{KeyStore, PersonalDataError};
use agora_events::{EventMetadata, Timestamp};
use uuid::Uuid;

use super::{User, UserCommand, UserError, password};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::ids::valid_id;
use crate::projection::ProjectionHandle;
use crate::projection::users::{UserRecord, UsersView};

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
    /// The password breaks a rule (422) or could not be hashed (500).
    #[error(transparent)]
    Password(#[from] super::PasswordError),
    /// Wrong user id or password (401); deliberately not saying which.
    #[error("wrong user id or password")]
    BadCredentials,
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
    /// The password in clear (hashed with argon2id, then sealed); `None`
    /// registers a user who cannot log in until a password is set.
    pub password: Option<String>,
}

/// A started session: the bearer token is shown once, here, and only its
/// hash is stored.
#[derive(Clone, Debug)]
pub struct Session {
    /// The user it authenticates.
    pub user_id: String,
    /// The session's id (for logout).
    pub session_id: String,
    /// The bearer token: 64 hex digits.
    pub token: String,
    /// When the token stops being accepted.
    pub expires_at: Timestamp,
    /// Position of the `UserSessionStarted` event.
    pub position: Option<u64>,
}

/// Who a valid bearer token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: String,
    /// Their session.
    pub session_id: String,
    /// Their roles.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the principal holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// BLAKE3 of a bearer token, as stored.
fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
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
    clock: Clock,
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
            clock: Clock::system(),
        }
    }

    /// The same service stamping commands (and judging session expiry)
    /// with `clock`'s time.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
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
        let password = registration.password;
        let (sealed, credential) = {
            let keys = Arc::clone(&self.keys);
            let id = id.clone();
            // Creating a key syncs the key file and argon2 is slow on purpose:
            // keep both off the async threads.
            tokio::task::spawn_blocking(move || -> Result<_, UserServiceError> {
                let phc = password.as_deref().map(password::hash).transpose()?;
                keys.ensure_key(&id)?;
                let credential = phc.map(|phc| keys.seal(&id, &phc)).transpose()?;
                Ok((keys.seal(&id, &personal)?, credential))
            })
            .await
            .map_err(|e| CommandError::Unavailable(format!("sealing task failed: {e}")))??
        };
        let command = UserCommand::Register {
            display_name: registration.display_name,
            roles: registration.roles,
            personal: sealed,
            credential,
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
            if user.is_erased() {
                return Err(CommandError::Domain(UserError::Erased).into());
            }
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

    /// Erases `id`'s personal data: appends `UserPersonalDataErased` (the
    /// account is closed: every session ends, logging in is refused), then
    /// destroys the user's data key, so every sealed field they ever had is
    /// unreadable. A repeat appends nothing and destroys the key again (a
    /// crash between the two steps is finished by repeating the call).
    pub async fn erase_personal_data(
        &self,
        id: &str,
        idempotency_key: Option<Uuid>,
        metadata: EventMetadata,
    ) -> Result<Executed<User>, UserServiceError> {
        if !valid_id(id) {
            return Err(UserServiceError::InvalidId);
        }
        let executed = self
            .execute(
                id,
                UserCommand::ErasePersonalData,
                None,
                idempotency_key,
                metadata,
            )
            .await?;
        self.keys.shred(id)?;
        Ok(executed)
    }

    /// Checks `password` against the user's credential and starts a session
    /// of `ttl`. A wrong password, an unknown user and a user without a
    /// password all answer [`UserServiceError::BadCredentials`], so the
    /// answer does not tell which.
    pub async fn login(
        &self,
        user_id: &str,
        password: &str,
        ttl: std::time::Duration,
        metadata: EventMetadata,
    ) -> Result<Session, UserServiceError> {
        if !valid_id(user_id) {
            return Err(UserServiceError::BadCredentials);
        }
        let (user, version) = self.registry.state(user_id).await?;
        let credential = user.credential().cloned();
        let keys = Arc::clone(&self.keys);
        let (id, password) = (user_id.to_owned(), password.to_owned());
        let matches = tokio::task::spawn_blocking(move || -> Result<bool, UserServiceError> {
            let Some(sealed) = credential else {
                // Spend the same time as a real check.
                let _ = password::hash(&"x".repeat(password::MIN_PASSWORD_CHARS));
                return Ok(false);
            };
            let phc: Option<String> = keys.open_sealed(&id, &sealed)?;
            Ok(phc.is_some_and(|phc| password::verify(&password, &phc)))
        })
        .await
        .map_err(|e| CommandError::Unavailable(format!("password check failed: {e}")))??;
        if !matches {
            return Err(UserServiceError::BadCredentials);
        }
        let token: String = rand::random::<[u8; 32]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let session_id = format!("s-{}", Uuid::now_v7().simple());
        let now = self.clock.now();
        let ttl_micros = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
        let expires_at = Timestamp(now.0.saturating_add(ttl_micros));
        let command = UserCommand::StartSession {
            session_id: session_id.clone(),
            token_hash: token_hash(&token),
            expires_at,
        };
        // Conditional on the version the password was checked against.
        let executed = self
            .execute(user_id, command, Some(version), None, metadata)
            .await?;
        Ok(Session {
            user_id: user_id.to_owned(),
            session_id,
            token,
            expires_at,
            position: executed.position,
        })
    }

    /// Ends the principal's session.
    pub async fn logout(
        &self,
        principal: &Principal,
        metadata: EventMetadata,
    ) -> Result<Executed<User>, UserServiceError> {
        let command = UserCommand::EndSession {
            session_id: principal.session_id.clone(),
        };
        Ok(self
            .execute(&principal.user_id, command, None, None, metadata)
            .await?)
    }

    /// Who `token` stands for, if it is a live session's token.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        let hash = token_hash(token);
        self.view.read(|view| {
            let session = view.session(&hash, self.clock.now())?;
            let user = view.get(&session.user_id)?;
            Some(Principal {
                user_id: session.user_id.clone(),
                session_id: session.session_id.clone(),
                roles: user.roles.clone(),
            })
        })
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
            now: self.clock.now(),
        };
        self.registry.execute(id, execute).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
