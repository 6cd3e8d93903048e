//! Agora's event metadata as EventStoreDB *custom metadata*: one flat JSON
//! object, for example
//!
//! ```json
//! {"$correlationId":"0192…","$causationId":"0192…","actorId":"user-42","schemaVersion":2}
//! ```
//!
//! Absent fields are left out. `$correlationId` and `$causationId` are the
//! names EventStoreDB's own tooling reads (the `$by_correlation_id`
//! projection, the UI), so correlation survives outside Agora too.
//!
//! Decoding is tolerant: events written by other clients carry other
//! metadata (or none), so unknown keys are ignored and anything that is not
//! such an object decodes as "no metadata, schema version 1". The crate has
//! no JSON dependency, hence the small parser below; it accepts exactly
//! RFC 8259 JSON and skips nested values of unknown keys.

use bytes::Bytes;
use uuid::Uuid;

use crate::model::EventMetadata;

const CORRELATION_ID: &str = "$correlationId";
const CAUSATION_ID: &str = "$causationId";
const ACTOR_ID: &str = "actorId";
const SCHEMA_VERSION: &str = "schemaVersion";

/// Nesting deeper than this in an unknown value makes the metadata foreign.
const MAX_DEPTH: u32 = 32;

/// The custom metadata bytes for an event.
pub(super) fn encode(metadata: &EventMetadata, schema_version: u32) -> Bytes {
    let mut out = String::with_capacity(128);
    out.push('{');
    if let Some(id) = metadata.correlation_id {
        push_key(&mut out, CORRELATION_ID);
        push_string(&mut out, &id.to_string());
    }
    if let Some(id) = metadata.causation_id {
        push_key(&mut out, CAUSATION_ID);
        push_string(&mut out, &id.to_string());
    }
    if let Some(actor) = &metadata.actor_id {
        push_key(&mut out, ACTOR_ID);
        push_string(&mut out, actor);
    }
    push_key(&mut out, SCHEMA_VERSION);
    out.push_str(&schema_version.to_string());
    out.push('}');
    Bytes::from(out)
}

/// The metadata and schema version stored in `bytes`; see the module doc for
/// what foreign metadata decodes to.
pub(super) fn decode(bytes: &[u8]) -> (EventMetadata, u32) {
    let mut metadata = EventMetadata::default();
    let mut schema_version = 1;
    let Some(fields) = Parser::new(bytes).document() else {
        return (metadata, schema_version);
    };
    for (key, value) in fields {
        match (key.as_str(), value) {
            (CORRELATION_ID, Value::String(s)) => {
                metadata.correlation_id = Uuid::parse_str(&s).ok();
            }
            (CAUSATION_ID, Value::String(s)) => metadata.causation_id = Uuid::parse_str(&s).ok(),
            (ACTOR_ID, Value::String(s)) => metadata.actor_id = Some(s),
            (SCHEMA_VERSION, Value::Number(n)) => {
                if let Ok(v) = n.parse::<u32>()
                    && v > 0
                {
                    schema_version = v;
                }
            }
            _ => {}
        }
    }
    (metadata, schema_version)
}

fn push_key(out: &mut String, key: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    push_string(out, key);
    out.push(':');
}

fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A top-level value we care about; everything else is `Other`.
enum Value {
    String(String),
    /// The number's text, as written.
    Number(String),
    Other,
}

/// A strict JSON reader over bytes; every method returns `None` on input
/// that is not JSON.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// A whole document that is one object: its fields, in order.
    fn document(mut self) -> Option<Vec<(String, Value)>> {
        self.skip_ws();
        let fields = self.object(0)?;
        self.skip_ws();
        (self.at == self.bytes.len()).then_some(fields)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.bump()? == b).then_some(())
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn object(&mut self, depth: u32) -> Option<Vec<(String, Value)>> {
        self.expect(b'{')?;
        let mut fields = Vec::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(fields);
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            fields.push((key, value));
            self.skip_ws();
            match self.bump()? {
                b',' => continue,
                b'}' => return Some(fields),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        self.expect(b'[')?;
        self.skip_ws();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            match self.bump()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(Value::String),
            b'{' => self.object(depth).map(|_| Value::Other),
            b'[' => self.array(depth).map(|()| Value::Other),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Value> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end)? == word).then(|| {
            self.at = end;
            Value::Other
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Option<String> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()
            .map(str::to_owned)
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.at.checked_add(4)?;
        let text = std::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        let value = u32::from_str_radix(text, 16).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at = end;
        Some(value)
    }

    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.bump()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let c = match self.bump()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                self.expect(b'\\')?;
                                self.expect(b'u')?;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b if b < 0x20 => return None,
                b => out.push(b),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> EventMetadata {
        EventMetadata {
            correlation_id: Some(Uuid::now_v7()),
            causation_id: Some(Uuid::new_v4()),
            actor_id: Some("user \"42\" \\ ü\n\u{1}\t😀".into()),
        }
    }

    #[test]
    fn metadata_round_trips() {
        for (metadata, version) in [
            (full(), 7),
            (EventMetadata::default(), 1),
            (
                EventMetadata {
                    actor_id: Some(String::new()),
                    ..EventMetadata::default()
                },
                u32::MAX,
            ),
        ] {
            let bytes = encode(&metadata, version);
            assert_eq!(decode(&bytes), (metadata, version), "{bytes:?}");
        }
    }

    #[test]
    fn the_encoding_is_plain_json() {
        let id = Uuid::nil();
        let metadata = EventMetadata {
            correlation_id: Some(id),
            causation_id: None,
            actor_id: Some("a\"b".into()),
        };
        assert_eq!(
            encode(&metadata, 2),
            Bytes::from_static(
                br#"{"$correlationId":"00000000-0000-0000-0000-000000000000","actorId":"a\"b","schemaVersion":2}"#
            )
        );
    }

    #[test]
    fn foreign_metadata_decodes_to_defaults() {
        let none = (EventMetadata::default(), 1);
        for bytes in [
            &b""[..],
            b"not json",
            b"[1,2]",
            b"{\"schemaVersion\":0}",
            b"{\"schemaVersion\":-3}",
            b"{\"schemaVersion\":\"2\"}",
            b"{\"$correlationId\":\"nope\"}",
            b"{\"a\":1,}",
            b"{\"a\":1} trailing",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":01}",
        ] {
            assert_eq!(decode(bytes), none, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn unknown_keys_and_nested_values_are_skipped() {
        let bytes = br#" { "x" : {"y":[1, 2.5e-3, true, null, {"z":"\ud83d\ude00"}]},
            "actorId" : "bob", "schemaVersion" : 3 , "$causationId": null } "#;
        let (metadata, version) = decode(bytes);
        assert_eq!(metadata.actor_id.as_deref(), Some("bob"));
        assert_eq!(metadata.causation_id, None);
        assert_eq!(version, 3);
    }

    #[test]
    fn escapes_decode() {
        let bytes = br#"{"actorId":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#;
        assert_eq!(
            decode(bytes).0.actor_id.as_deref(),
            Some("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}")
        );
        // A lone surrogate is not a character.
        assert_eq!(decode(br#"{"actorId":"\ud83d"}"#).0.actor_id, None);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let mut deep = String::from("{\"a\":");
        deep.push_str(&"[".repeat(100_000));
        assert_eq!(decode(deep.as_bytes()), (EventMetadata::default(), 1));
    }
}
