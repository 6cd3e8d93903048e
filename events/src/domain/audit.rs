//! Events of the audit trail: every read an auditor (or an admin) makes
//! through the audit API is itself recorded, on the stream
//! `audit-{reader id}`, so who read what stays part of the history.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use crate::model::Timestamp;

/// The stream of `reader`'s audit reads.
pub fn audit_stream(reader: &str) -> String {
    format!("audit-{reader}")
}

/// Someone read the event history (or a view of it) through the audit API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditLogRead {
    /// The user who read.
    pub reader: String,
    /// The route read, as its template (`GET /v1/audit/events`).
    pub route: String,
    /// The request's path and query, as sent.
    pub target: String,
    /// When the read was accepted.
    pub read_at: Timestamp,
}

domain_events! {
    /// Every event of the audit trail.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum AuditEvent;
    /// An audit event before its payload is decoded.
    pub enum LazyAuditEvent;
    /// See [`AuditLogRead`].
    Read(AuditLogRead) = "AuditLogRead" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    #[test]
    fn audit_reads_round_trip() {
        let event = AuditEvent::Read(AuditLogRead {
            reader: "aud".into(),
            route: "GET /v1/audit/events".into(),
            target: "/v1/audit/events?limit=5".into(),
            read_at: Timestamp(1),
        });
        let bytes = event.encode_payload().unwrap_or_default();
        let back = AuditEvent::decode(event.event_type(), event.schema_version(), &bytes);
        assert_eq!(back.ok(), Some(event));
        assert_eq!(audit_stream("aud"), "audit-aud");
    }
}
