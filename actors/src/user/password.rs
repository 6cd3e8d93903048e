//! Passwords: checked for length, hashed with argon2id (RFC 9106 defaults
//! of the `argon2` crate: 19 MiB, 2 passes, 1 lane), verified in constant
//! time. Hashing is deliberately slow: callers run it off async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a password was refused (HTTP 422), or could not be hashed (500).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error("password must be 8 to 128 characters")]
    Length,
    /// The hasher failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Hashes `password` into an argon2id PHC string with a fresh salt.
pub(crate) fn hash(password: &str) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(PasswordError::Length);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (false for a malformed one).
pub(crate) fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let phc = hash("correct horse").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horsE", &phc));
        assert!(!verify("correct horse", "not a hash"));
        assert_ne!(hash("correct horse").unwrap_or_default(), phc, "salted");
    }

    #[test]
    fn lengths_are_checked() {
        assert_eq!(hash("short"), Err(PasswordError::Length));
        assert_eq!(hash(&"x".repeat(129)), Err(PasswordError::Length));
    }
}
