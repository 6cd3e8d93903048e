//! How an aggregate declares its events: [`domain_events!`] takes one row
//! per event type (variant, payload type, recorded type name, schema
//! version, upcasters of older versions) and generates everything that
//! used to repeat them by hand, so adding an event is one line and a
//! forgotten place cannot exist.
//!
//! Projections that fold only some of an aggregate's events match on the
//! generated lazy enum (see [`LazyPayload`]): its variants say which event
//! it is before anything is decoded, and only an arm that reads its
//! payload decodes it. What a projection folds is its `match`, nothing
//! else.

/// The domain event `E` a recorded event holds, decoded on first use and
/// kept (several readers of one event then decode it once).
pub trait DecodeOnce<E> {
    /// The decoded event, or why it does not decode (the message, the same
    /// every time).
    fn decoded(&self) -> Result<&E, String>;
}

/// The payload (`T`, one variant of the domain event `E`) of a recorded
/// event whose type is known but whose payload is decoded only when
/// [`LazyPayload::get`] asks for it.
pub struct LazyPayload<'a, E, T> {
    source: &'a dyn DecodeOnce<E>,
    pick: fn(&E) -> Option<&T>,
}

impl<E, T> Clone for LazyPayload<'_, E, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, T> Copy for LazyPayload<'_, E, T> {}

impl<'a, E, T> LazyPayload<'a, E, T> {
    /// The payload `pick` finds in what `source` decodes.
    pub(crate) fn new(source: &'a dyn DecodeOnce<E>, pick: fn(&E) -> Option<&T>) -> Self {
        Self { source, pick }
    }

    /// The payload, decoded now if no one asked before; `Err` (the decode
    /// error's message) if it does not decode.
    pub fn get(&self) -> Result<&'a T, String> {
        let event = self.source.decoded()?;
        (self.pick)(event)
            .ok_or_else(|| "the payload decodes as another event type than recorded".to_owned())
    }
}

/// Declares the events of one aggregate from a single table.
///
/// ```text
/// domain_events! {
///     /// Every event of the Content aggregate.
///     #[derive(Clone, Debug, PartialEq)]
///     pub enum ContentEvent;
///     /// A content event before its payload is decoded.
///     pub enum LazyContentEvent;
///     /// See [`ContentDrafted`].
///     Drafted(ContentDrafted) = "ContentDrafted" version 1,
///     /// See [`ContentPurchased`].
///     Purchased(ContentPurchased) = "ContentPurchased" version 2
///         upcast { 1 => ContentPurchasedV1 },
/// }
/// ```
///
/// Each row is a variant, its payload type, the recorded type name (never
/// to change: old logs carry it), the schema version this build writes and,
/// after `upcast`, each older version with the type it was written as
/// (which must implement `Into` of the payload type and `JsonSchema`).
/// Generates:
///
/// - the enum, one variant per row;
/// - `TYPES`, every recorded type name, in row order;
/// - [`DomainEvent`](super::DomainEvent): `event_type`, `schema_version`,
///   `encode_payload`, and `decode`, which reads every version listed
///   (older ones through their upcast type) and refuses any other;
/// - `schemas()`: the payload schema of every type and version;
/// - the lazy enum: the same variants holding a [`LazyPayload`], made by
///   `new(event_type, source)` without decoding anything.
macro_rules! domain_events {
    (
        $(#[$enum_meta:meta])*
        pub enum $enum:ident;
        $(#[$lazy_meta:meta])*
        pub enum $lazy:ident;
        $(
            $(#[$meta:meta])*
            $variant:ident($payload:ty) = $name:literal version $version:literal
                $(upcast { $($old:literal => $old_payload:ty),+ $(,)? })?
        ),+ $(,)?
    ) => {
        $(#[$enum_meta])*
        pub enum $enum {
            $(
                $(#[$meta])*
                $variant($payload),
            )+
        }

        impl $enum {
            /// Every type name this enum reads and writes (so a reader can
            /// skip the others without decoding them).
            pub const TYPES: &'static [&'static str] = &[$($name),+];

            /// The payload as JSON: its serde shape, which the event's
            /// schema in `schemas/events/` describes (sealed personal
            /// data stays an encrypted envelope).
            pub fn payload_json(&self) -> serde_json::Value {
                match self {
                    $(Self::$variant(payload) => {
                        serde_json::to_value(payload).unwrap_or(serde_json::Value::Null)
                    })+
                }
            }
        }

        impl $crate::domain::DomainEvent for $enum {
            fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            fn schema_version(&self) -> u32 {
                match self {
                    $(Self::$variant(_) => $version,)+
                }
            }

            fn encode_payload(&self) -> Result<Vec<u8>, $crate::codec::EncodeError> {
                match self {
                    $(Self::$variant(payload) => $crate::codec::encode_payload(payload),)+
                }
            }

            fn decode(
                event_type: &str,
                version: u32,
                payload: &[u8],
            ) -> Result<Self, $crate::domain::DomainDecodeError> {
                Ok(match event_type {
                    $(
                        $name => Self::$variant(match version {
                            $version => $crate::codec::decode_payload::<$payload>(payload)?,
                            $($(
                                $old => <$payload>::from(
                                    $crate::codec::decode_payload::<$old_payload>(payload)?,
                                ),
                            )+)?
                            _ => {
                                return Err($crate::domain::DomainDecodeError::UnknownVersion {
                                    event_type: $name.to_owned(),
                                    version,
                                });
                            }
                        }),
                    )+
                    other => {
                        return Err($crate::domain::DomainDecodeError::UnknownType(
                            other.to_owned(),
                        ));
                    }
                })
            }
        }

        #[doc = concat!(
            "The payload schema of every type and version of [`",
            stringify!($enum),
            "`]."
        )]
        pub fn schemas() -> Vec<$crate::domain::schema::EventSchema> {
            vec![
                $(
                    $($(
                        $crate::domain::schema::EventSchema::of::<$old_payload>($name, $old),
                    )+)?
                    $crate::domain::schema::EventSchema::of::<$payload>($name, $version),
                )+
            ]
        }

        $(#[$lazy_meta])*
        #[derive(Clone, Copy)]
        pub enum $lazy<'a> {
            $(
                $(#[$meta])*
                $variant($crate::domain::LazyPayload<'a, $enum, $payload>),
            )+
        }

        impl<'a> $lazy<'a> {
            #[doc = concat!(
                "The event of type `event_type`, its payload decoded by `source` \
                 when asked; `None` if the type is not one of [`",
                stringify!($enum),
                "`]'s."
            )]
            pub fn new(
                event_type: &str,
                source: &'a dyn $crate::domain::DecodeOnce<$enum>,
            ) -> Option<Self> {
                Some(match event_type {
                    $(
                        $name => Self::$variant($crate::domain::LazyPayload::new(
                            source,
                            |event| match event {
                                $enum::$variant(payload) => Some(payload),
                                #[allow(unreachable_patterns)]
                                _ => None,
                            },
                        )),
                    )+
                    _ => return None,
                })
            }
        }
    };
}

pub(crate) use domain_events;

#[cfg(test)]
#[allow(unreachable_pub)] // what the macro generates is `pub`
mod tests {
    use std::cell::Cell;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::codec;
    use crate::domain::{DomainDecodeError, DomainEvent};

    /// A payload at schema version 1.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
    pub struct Opened {
        pub by: String,
    }

    /// A payload at schema version 2, which added `reason`.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
    pub struct Closed {
        pub by: String,
        pub reason: String,
    }

    /// [`Closed`] as version 1 wrote it.
    #[derive(Serialize, Deserialize, JsonSchema)]
    pub struct ClosedV1 {
        pub by: String,
    }

    impl From<ClosedV1> for Closed {
        fn from(v1: ClosedV1) -> Self {
            Self {
                by: v1.by,
                reason: "unknown".into(),
            }
        }
    }

    domain_events! {
        /// Events of a door.
        #[derive(Clone, Debug, PartialEq)]
        pub enum DoorEvent;
        /// A door event not decoded yet.
        pub enum LazyDoorEvent;
        /// See [`Opened`].
        Opened(Opened) = "DoorOpened" version 1,
        /// See [`Closed`].
        Closed(Closed) = "DoorClosed" version 2 upcast { 1 => ClosedV1 },
    }

    fn events() -> [DoorEvent; 2] {
        [
            DoorEvent::Opened(Opened { by: "ann".into() }),
            DoorEvent::Closed(Closed {
                by: "bob".into(),
                reason: "wind".into(),
            }),
        ]
    }

    #[test]
    fn every_row_gives_its_type_name_version_schema_and_round_trip() {
        assert_eq!(DoorEvent::TYPES, ["DoorOpened", "DoorClosed"]);
        assert_eq!(
            events()[1].payload_json(),
            serde_json::json!({"by": "bob", "reason": "wind"})
        );
        let listed: Vec<_> = schemas()
            .iter()
            .map(|s| (s.event_type, s.version))
            .collect();
        assert_eq!(
            listed,
            [("DoorOpened", 1), ("DoorClosed", 1), ("DoorClosed", 2)]
        );
        let [opened, closed] = events();
        assert_eq!(
            (opened.event_type(), opened.schema_version()),
            ("DoorOpened", 1)
        );
        assert_eq!(
            (closed.event_type(), closed.schema_version()),
            ("DoorClosed", 2)
        );
        for event in [opened, closed] {
            let bytes = event.encode_payload().expect("encodes");
            let back = DoorEvent::decode(event.event_type(), event.schema_version(), &bytes);
            assert_eq!(back.ok(), Some(event));
        }
    }

    #[test]
    fn older_versions_are_upcast_and_unknown_ones_refused() {
        let v1 = codec::encode_payload(&ClosedV1 { by: "bob".into() }).expect("encodes");
        let upcast = DoorEvent::decode("DoorClosed", 1, &v1).expect("a v1 close decodes");
        assert_eq!(
            upcast,
            DoorEvent::Closed(Closed {
                by: "bob".into(),
                reason: "unknown".into(),
            })
        );
        assert!(matches!(
            DoorEvent::decode("DoorClosed", 3, &v1),
            Err(DomainDecodeError::UnknownVersion { event_type, version: 3 })
                if event_type == "DoorClosed"
        ));
        assert!(matches!(
            DoorEvent::decode("DoorOpened", 2, &v1),
            Err(DomainDecodeError::UnknownVersion { version: 2, .. })
        ));
        assert!(matches!(
            DoorEvent::decode("DoorPainted", 1, &v1),
            Err(DomainDecodeError::UnknownType(t)) if t == "DoorPainted"
        ));
    }

    /// A recorded event decoded on first use, counting its decodings.
    struct Recorded {
        event: Result<DoorEvent, String>,
        decodings: Cell<u32>,
    }

    impl DecodeOnce<DoorEvent> for Recorded {
        fn decoded(&self) -> Result<&DoorEvent, String> {
            self.decodings.set(self.decodings.get() + 1);
            self.event.as_ref().map_err(Clone::clone)
        }
    }

    #[test]
    fn the_lazy_event_names_the_variant_and_decodes_only_when_read() {
        let [opened, closed] = events();
        let source = Recorded {
            event: Ok(closed.clone()),
            decodings: Cell::new(0),
        };
        let Some(LazyDoorEvent::Closed(payload)) = LazyDoorEvent::new("DoorClosed", &source) else {
            panic!("a DoorClosed is the Closed variant");
        };
        assert_eq!(source.decodings.get(), 0, "nothing decoded before asked");
        let DoorEvent::Closed(expected) = &closed else {
            panic!("closed() is a Closed");
        };
        assert_eq!(payload.get(), Ok(expected));
        assert_eq!(source.decodings.get(), 1);
        assert!(matches!(
            LazyDoorEvent::new("DoorOpened", &source),
            Some(LazyDoorEvent::Opened(_))
        ));
        assert!(LazyDoorEvent::new("DoorPainted", &source).is_none());
        // A payload that does not decode says why; one decoded as another
        // variant than its type says so.
        let broken = Recorded {
            event: Err("bad bytes".into()),
            decodings: Cell::new(0),
        };
        let Some(LazyDoorEvent::Opened(payload)) = LazyDoorEvent::new("DoorOpened", &broken) else {
            panic!("a DoorOpened is the Opened variant");
        };
        assert_eq!(payload.get(), Err("bad bytes".to_owned()));
        let mismatched = Recorded {
            event: Ok(opened),
            decodings: Cell::new(0),
        };
        let Some(LazyDoorEvent::Closed(payload)) = LazyDoorEvent::new("DoorClosed", &mismatched)
        else {
            panic!("a DoorClosed is the Closed variant");
        };
        assert!(payload.get().is_err());
    }
}
