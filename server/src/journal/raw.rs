//! How a journal line is read into a [`RawRecord`] (declared with the other records in
//! `record`): tolerant deserializers, so that a record type the reader does not know, or a field of
//! a shape it does not expect, is not an error here. Whoever uses a record checks that the fields
//! it needs are there.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::record::{Edits, RawEdit};

// What follows are the visitors that make the fields tolerant: each accepts the shape it wants
// and consumes anything else without failing, so that a record type the reader does not know can
// use these names for other things. serde_json drives them through `deserialize_any`.

/// Defines the listed `visit_*` methods to consume whatever value they are given (serde_json
/// hands containers to `visit_seq` and `visit_map`) and return `$other`.
macro_rules! accept_anything_else {
    ($other:expr; $($name:ident)*) => { $( fallback_visit!($other; $name); )* };
}

macro_rules! fallback_visit {
    ($other:expr; bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; i64) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; f64) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; string) => {
        fn visit_string<E: de::Error>(self, _: String) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; none) => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other)
        }
    };
    ($other:expr; seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
    ($other:expr; map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
}

/// A string, borrowed from the line when it needs no unescaping.
pub(super) struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(s)))
    }

    accept_anything_else!(None; bool i64 u64 f64 unit none seq map);
}

pub(super) fn lenient_str<'de, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
    'de: 'a,
{
    deserializer.deserialize_any(StrVisitor)
}

/// An integer.
struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(n).ok())
    }

    accept_anything_else!(None; bool f64 str unit none seq map);
}

pub(super) fn lenient_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_any(IntVisitor)
}

impl<'de: 'a, 'a> Deserialize<'de> for Edits<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EditsVisitor)
    }
}

struct EditsVisitor;

impl<'de> Visitor<'de> for EditsVisitor {
    type Value = Edits<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut edits = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        let mut all_edits = true;
        while let Some(edit) = seq.next_element::<MaybeEdit<'de>>()? {
            match edit.0 {
                Some(edit) if all_edits => edits.push(edit),
                _ => all_edits = false,
            }
        }
        Ok(if all_edits { Edits::List(edits) } else { Edits::Other })
    }

    accept_anything_else!(Edits::Other; bool i64 u64 f64 str unit none map);
}

/// An edit, or `None` for anything that is not one.
struct MaybeEdit<'a>(Option<RawEdit<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeEdit<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EditVisitor).map(MaybeEdit)
    }
}

struct EditVisitor;

impl<'de> Visitor<'de> for EditVisitor {
    type Value = Option<RawEdit<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // `None` until seen; `Some(None)` once seen with a shape that is not a range.
        let mut range: Option<Option<Range>> = None;
        let mut text: Option<Option<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key::<EditKey>()? {
            match key {
                EditKey::Range if range.is_none() => range = Some(map.next_value::<MaybeRange>()?.0),
                EditKey::Text if text.is_none() => text = Some(map.next_value::<MaybeStr<'de>>()?.0),
                // A key given twice makes the edit ambiguous.
                EditKey::Range | EditKey::Text => {
                    map.next_value::<IgnoredAny>()?;
                    return drain_map(map);
                }
                EditKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let range = match range {
            None => None,
            Some(Some(Range::Null)) => None,
            Some(Some(Range::Positions(range))) => Some(range),
            Some(None) => return Ok(None),
        };
        Ok(text.flatten().map(|text| RawEdit { range, text }))
    }

    accept_anything_else!(None; bool i64 u64 f64 str unit none seq);
}

enum EditKey {
    Range,
    Text,
    Other,
}

impl<'de> Deserialize<'de> for EditKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(EditKeyVisitor)
    }
}

struct EditKeyVisitor;

impl Visitor<'_> for EditKeyVisitor {
    type Value = EditKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(match key {
            "range" => EditKey::Range,
            "text" => EditKey::Text,
            _ => EditKey::Other,
        })
    }
}

fn drain_map<'de, A: MapAccess<'de>, T>(mut map: A) -> Result<Option<T>, A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(None)
}

struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrVisitor).map(MaybeStr)
    }
}

enum Range {
    /// `"range": null`, taken as no range.
    Null,
    Positions([[u32; 2]; 2]),
}

/// `[[line, col], [line, col]]`, or `None` for anything else.
struct MaybeRange(Option<Range>);

impl<'de> Deserialize<'de> for MaybeRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PairVisitor::<MaybePosition>::default()).map(|pair| {
            MaybeRange(match pair {
                Pair::Null => Some(Range::Null),
                Pair::Both(MaybePosition(Some(start)), MaybePosition(Some(end))) => {
                    Some(Range::Positions([start, end]))
                }
                Pair::Both(..) | Pair::Other => None,
            })
        })
    }
}

/// `[line, col]`, or `None` for anything else.
struct MaybePosition(Option<[u32; 2]>);

impl<'de> Deserialize<'de> for MaybePosition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PairVisitor::<MaybeU32>::default()).map(|pair| {
            MaybePosition(match pair {
                Pair::Both(MaybeU32(Some(line)), MaybeU32(Some(column))) => Some([line, column]),
                _ => None,
            })
        })
    }
}

struct MaybeU32(Option<u32>);

impl<'de> Deserialize<'de> for MaybeU32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = deserializer.deserialize_any(IntVisitor)?;
        Ok(MaybeU32(n.and_then(|n| u32::try_from(n).ok())))
    }
}

/// A JSON array of exactly two elements, `null`, or something else.
enum Pair<T> {
    Null,
    Both(T, T),
    Other,
}

struct PairVisitor<T>(std::marker::PhantomData<T>);

impl<T> Default for PairVisitor<T> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PairVisitor<T> {
    type Value = Pair<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<T>()?;
        let second = match first {
            Some(_) => seq.next_element::<T>()?,
            None => None,
        };
        let mut extra = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra = true;
        }
        Ok(match (first, second, extra) {
            (Some(first), Some(second), false) => Pair::Both(first, second),
            _ => Pair::Other,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Pair::Null)
    }

    accept_anything_else!(Pair::Other; bool i64 u64 f64 str none map);
}
