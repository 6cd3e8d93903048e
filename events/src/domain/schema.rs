//! JSON Schemas of event payloads, one per event type and schema version,
//! generated from the payload types (schemars, JSON Schema 2020-12) and
//! kept in `schemas/events/{Type}.v{N}.json`; a test fails when the files
//! and the types disagree.
//!
//! Payloads are stored as bincode; the schema describes their serde shape,
//! which is what auditors and tools see when events are shown as JSON.
//! Old versions stay listed as long as their upcaster exists.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Value, json};

/// The schema of one event type at one schema version.
#[derive(Clone, Copy, Debug)]
pub struct EventSchema {
    /// The stable type name (`ContentPurchased`).
    pub event_type: &'static str,
    /// The schema version the payload was written with.
    pub version: u32,
    make: fn(&mut SchemaGenerator) -> Schema,
}

impl EventSchema {
    /// The schema of payload type `T`, written as `event_type` version
    /// `version`.
    pub fn of<T: JsonSchema>(event_type: &'static str, version: u32) -> Self {
        Self {
            event_type,
            version,
            make: |generator| generator.subschema_for::<T>(),
        }
    }

    /// The file name under `schemas/events/`.
    pub fn file_name(&self) -> String {
        format!("{}.v{}.json", self.event_type, self.version)
    }

    /// The schema standing alone (see [`standalone`]), with the stable
    /// `$id` `urn:agora:schema:event:{Type}:v{N}`.
    pub fn document(&self) -> Value {
        standalone(
            self.make,
            &format!(
                "urn:agora:schema:event:{}:v{}",
                self.event_type, self.version
            ),
        )
    }
}

/// The JSON Schema (2020-12) of the type `make` describes, standing alone:
/// that type at the root, the types it uses under `$defs`, with `$schema`
/// and the given `$id`. Command body schemas use it too.
pub fn standalone(make: impl FnOnce(&mut SchemaGenerator) -> Schema, id: &str) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut root = make(&mut generator).to_value();
    let mut definitions = generator.take_definitions(true);
    // A named type comes back as a `$ref`: inline the root, keep the rest.
    if let Some(name) = root
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .map(str::to_owned)
        && let Some(inlined) = definitions.remove(&name)
    {
        root = inlined;
    }
    if let Value::Object(object) = &mut root {
        object.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        object.insert("$id".into(), json!(id));
        if !definitions.is_empty() {
            object.insert("$defs".into(), Value::Object(definitions));
        }
    }
    root
}

/// Every event type and version this build can read.
pub fn all() -> Vec<EventSchema> {
    let mut all = super::user::schemas();
    all.extend(super::content::schemas());
    all.extend(super::partner::schemas());
    all.extend(super::membership::schemas());
    all.extend(super::recommender::schemas());
    all.extend(super::requirement::schemas());
    all.extend(super::vendor::schemas());
    all.extend(super::contract::schemas());
    all.extend(super::audit::schemas());
    all
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn schemas_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/events")
    }

    #[test]
    fn committed_event_schemas_match_the_types() {
        let dir = schemas_dir();
        let bless = std::env::var_os("AGORA_BLESS").is_some_and(|v| v == "1");
        if bless {
            std::fs::create_dir_all(&dir).expect("schemas/events");
        }
        let mut expected = BTreeSet::new();
        let mut failures = Vec::new();
        for schema in all() {
            let name = schema.file_name();
            assert!(expected.insert(name.clone()), "{name} is listed twice");
            let mut text = serde_json::to_string_pretty(&schema.document()).expect("JSON");
            text.push('\n');
            let path = dir.join(&name);
            if bless {
                std::fs::write(&path, &text).expect("writing a schema");
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(committed) if committed == text => {}
                Ok(_) => failures.push(format!("schemas/events/{name} differs from the type")),
                Err(e) => failures.push(format!("schemas/events/{name}: {e}")),
            }
        }
        for entry in std::fs::read_dir(&dir).expect("schemas/events") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !expected.contains(&name) {
                failures.push(format!("schemas/events/{name} has no event type any more"));
            }
        }
        assert!(
            failures.is_empty(),
            "{failures:#?}\nif the change is deliberate (a new schema version with its upcaster), \
             run `AGORA_BLESS=1 cargo test -p agora-events schema` and commit the result"
        );
    }
}
