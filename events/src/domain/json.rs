//! Recorded events as JSON, for auditors: the payload in its serde shape
//! (what `schemas/events/` describes), with every sealed personal-data
//! envelope replaced by the text `"[sealed]"` — an auditor sees that
//! personal data is there, never its ciphertext.

use serde_json::Value;

use super::audit::AuditEvent;
use super::content::ContentEvent;
use super::membership::MembershipEvent;
use super::partner::PartnerEvent;
use super::recommender::RecommenderEvent;
use super::user::UserEvent;
use super::{DomainDecodeError, DomainEvent};

/// What a sealed envelope shows as.
pub const SEALED: &str = "[sealed]";

/// The payload of an event of type `event_type` at `schema_version` as
/// JSON, upcast to the current shape, with sealed envelopes shown as
/// [`SEALED`].
///
/// Errors: the type is unknown to this build, or the payload does not
/// decode as it.
pub fn payload_json(
    event_type: &str,
    schema_version: u32,
    payload: &[u8],
) -> Result<Value, DomainDecodeError> {
    fn of<E: DomainEvent>(
        version: u32,
        event_type: &str,
        payload: &[u8],
        json: fn(&E) -> Value,
    ) -> Result<Value, DomainDecodeError> {
        E::decode(event_type, version, payload).map(|event| json(&event))
    }
    let mut value = if UserEvent::TYPES.contains(&event_type) {
        of(schema_version, event_type, payload, UserEvent::payload_json)
    } else if ContentEvent::TYPES.contains(&event_type) {
        of(
            schema_version,
            event_type,
            payload,
            ContentEvent::payload_json,
        )
    } else if MembershipEvent::TYPES.contains(&event_type) {
        of(
            schema_version,
            event_type,
            payload,
            MembershipEvent::payload_json,
        )
    } else if PartnerEvent::TYPES.contains(&event_type) {
        of(
            schema_version,
            event_type,
            payload,
            PartnerEvent::payload_json,
        )
    } else if RecommenderEvent::TYPES.contains(&event_type) {
        of(
            schema_version,
            event_type,
            payload,
            RecommenderEvent::payload_json,
        )
    } else if AuditEvent::TYPES.contains(&event_type) {
        of(
            schema_version,
            event_type,
            payload,
            AuditEvent::payload_json,
        )
    } else {
        Err(DomainDecodeError::UnknownType(event_type.to_owned()))
    }?;
    hide_sealed(&mut value);
    Ok(value)
}

/// Replaces every sealed envelope in `value` (an object of exactly a
/// 24-byte `nonce` and a `ciphertext`, the serde shape of
/// [`Sealed`](crate::personal::Sealed)) with [`SEALED`].
pub fn hide_sealed(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let envelope = object.len() == 2
                && object
                    .get("nonce")
                    .and_then(Value::as_array)
                    .is_some_and(|n| n.len() == 24)
                && object.get("ciphertext").is_some_and(Value::is_array);
            if envelope {
                *value = Value::String(SEALED.to_owned());
            } else {
                object.values_mut().for_each(hide_sealed);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_sealed),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::user::{SessionEnded, UserProfileChanged};
    use crate::model::Timestamp;
    use crate::personal::Sealed;

    #[test]
    fn payloads_show_as_json_with_sealed_fields_hidden() {
        let changed = UserEvent::ProfileChanged(UserProfileChanged {
            display_name: Some("Ada".into()),
            personal: Some(Sealed {
                nonce: [1; 24],
                ciphertext: vec![1, 2, 3],
            }),
            changed_at: Timestamp(5),
        });
        let bytes = changed.encode_payload().unwrap_or_default();
        let json = payload_json("UserProfileChanged", 1, &bytes).ok();
        assert_eq!(
            json,
            Some(json!({"display_name": "Ada", "personal": SEALED, "changed_at": 5}))
        );
        let ended = UserEvent::SessionEnded(SessionEnded {
            session_id: "s".into(),
            ended_at: Timestamp(1),
        });
        let bytes = ended.encode_payload().unwrap_or_default();
        assert!(payload_json("Nope", 1, &bytes).is_err());
        assert!(payload_json("UserProfileChanged", 1, &[0xff]).is_err());
    }
}
