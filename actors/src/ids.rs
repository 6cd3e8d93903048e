//! The two rules every aggregate shares about ids: what a client-chosen id
//! may look like, and how a client's `Idempotency-Key` becomes the id of
//! the command it names.

use uuid::Uuid;

/// Longest client-chosen id.
pub const MAX_ID_CHARS: usize = 64;

/// The id rule as a regular expression (ECMA 262 and Rust `regex` alike),
/// for documents that describe it (the OpenAPI document): a string matches
/// it exactly when [`valid_id`] accepts it (a test in the server checks the
/// two agree).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_.:-]{1,64}$";

/// Checks a client-chosen id: 1–64 characters of `A-Za-z0-9_-.:`.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// Turns a client's `Idempotency-Key` into the id used for it, scoped so
/// the same key on two routes or from two callers never collides.
///
/// Guarantees: the same `(scope, key)` always gives the same id; a
/// different scope or key gives a different one (BLAKE3, 128 bits).
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
    fn idempotency_ids_are_scoped() {
        assert_eq!(
            idempotency_id("POST /v1/users", "k"),
            idempotency_id("POST /v1/users", "k")
        );
        assert_ne!(
            idempotency_id("POST /v1/users", "k"),
            idempotency_id("PATCH /v1/users/x", "k")
        );
        assert_ne!(idempotency_id("a", "bc"), idempotency_id("ab", "c"));
    }
}
