//! The journal's records: the one serialised boundary of Rationale, and its one model. Field
//! names and meanings are fixed by the spec ("The journal"); every reader and writer goes through
//! these types.
//!
//! The writer writes whole [`Record`]s. Readers see each line first as a [`RawRecord`], a flat,
//! borrowed view of the fields replay and summaries use (made by `raw`'s tolerant deserializers,
//! and for the writer's `change` lines by the `fast` path); a reader that wants more of a line
//! reads it as the body type of its record with [`Line::fields`](super::Line::fields):
//! [`Explanation`], [`Unexplained`] or [`SessionInfo`].
//!
//! Reading is tolerant, writing is exact: a field that is missing or `null` reads as empty (an
//! older or newer server's record still reads), and whoever needs a field checks that it is
//! there. The writer always writes every field.

use std::borrow::Cow;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

/// The schema version the `session` record carries.
pub const SCHEMA: u32 = 1;

/// One line of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds.
    pub ts: String,
    #[serde(flatten)]
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Body {
    Session(SessionInfo),
    Open {
        path: String,
        language: String,
        version: i32,
        text: String,
        sha256: String,
    },
    Change {
        path: String,
        version: i32,
        edits: Vec<Edit>,
    },
    Save {
        path: String,
        sha256: String,
    },
    Resync {
        path: String,
        version: i32,
        text: String,
        sha256: String,
        reason: String,
    },
    Close {
        path: String,
    },
    End {
        reason: EndReason,
    },
    /// A change explained: the pair.
    Rationale(Explanation),
    /// A change marked as needing no explanation.
    Skip(Explanation),
    /// A change still pending when the server stopped tracking its document (at `close`, or
    /// just before `end`): it was left unexplained. Added after schema 1 was fixed; readers that
    /// do not know it pass over it, as they do any record type they do not know.
    Unexplained(Unexplained),
    /// The journal could not be written for a while (a full disk, a failing one, a file system
    /// made read-only, the journal deleted): what became of the records made meanwhile. Added
    /// after schema 1 was fixed; readers that do not know it pass over it.
    Gap(Gap),
}

/// What a `gap` record holds. The records made while the journal could not be written follow it
/// (`late` of them, each with the time it was made); any the server could not keep are `lost`,
/// and the documents they touched are re-based by an `open` or `resync` with their whole text
/// (`rebased`), so replay stays exact across the gap.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Gap {
    /// When the first record that could not be written was made.
    #[serde(deserialize_with = "null_as_default")]
    pub from: String,
    /// When the journal could be written again.
    #[serde(deserialize_with = "null_as_default")]
    pub to: String,
    /// The first error, as the system gave it.
    #[serde(deserialize_with = "null_as_default")]
    pub error: String,
    /// How many records after this one were made during the gap and written late.
    #[serde(deserialize_with = "lenient")]
    pub late: u64,
    /// How many records made during the gap were not kept.
    #[serde(deserialize_with = "lenient")]
    pub lost: u64,
    /// How many edits those `change` records held.
    #[serde(deserialize_with = "lenient")]
    pub lost_edits: u64,
    /// The documents the lost records touched: each has an `open` or `resync` with its whole
    /// text among the late records, before any other record of it.
    #[serde(deserialize_with = "null_as_default")]
    pub rebased: Vec<String>,
    /// How many `rationale` and `skip` records were refused (their changes stayed pending).
    #[serde(deserialize_with = "lenient")]
    pub refused: u64,
}

/// What an `unexplained` record holds: which change, of which unit, and when it was edited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Unexplained {
    /// The change id the editor was given.
    #[serde(deserialize_with = "null_as_default")]
    pub change: String,
    pub path: String,
    pub language: String,
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub kind: String,
    pub edits_from: Option<String>,
    pub edits_to: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub edits: u32,
}

/// What `rationale` and `skip` records hold: the unit before and after, and what was said.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Explanation {
    /// `<session>:<seq>` of this record (empty if a record lacks it: its session and seq say it).
    #[serde(deserialize_with = "null_as_default")]
    pub pair: String,
    /// The change id the editor was given.
    #[serde(deserialize_with = "null_as_default")]
    pub change: String,
    pub path: String,
    pub language: String,
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub kind: String,
    pub before: String,
    pub after: String,
    /// The rationale (a `rationale` record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why no explanation is needed, if the person said (a `skip` record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub edits_from: Option<String>,
    pub edits_to: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub edits: u32,
    pub prompted_at: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub version: i32,
    /// `command` or `why-comment` (empty if a record lacks it).
    #[serde(deserialize_with = "null_as_default")]
    pub via: String,
    /// Shared by the records of one rationale given for several changes.
    pub group: Option<String>,
    /// The signals of a `rationale` record's text and edits (`docs/quality.md`); absent from
    /// `skip` records and from records written before it existed. One of another shape reads as
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub quality: Option<crate::quality::Quality>,
}

impl Explanation {
    /// The quality flags a reviewer sees on this record: those a `rationale` record was given when
    /// it was recorded, or, for one written before the quality signals existed, those its text
    /// earns now (never `duplicate`, which needs every other rationale). A skip or an unexplained
    /// change has none.
    pub fn flags(&self) -> Vec<&'static str> {
        use crate::quality::{signals, Change, FLAGS};
        match (&self.quality, &self.text) {
            (Some(quality), _) => FLAGS.into_iter().filter(|flag| quality.has_flag(flag)).collect(),
            (None, Some(text)) => {
                signals(text, Some(Change { before: &self.before, after: &self.after })).flags()
            }
            (None, None) => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnitRef {
    pub name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<String>,
}

impl Body {
    /// The workspace-relative path of the document the record is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            Body::Open { path, .. }
            | Body::Change { path, .. }
            | Body::Save { path, .. }
            | Body::Resync { path, .. }
            | Body::Close { path } => Some(path),
            Body::Rationale(e) | Body::Skip(e) => Some(&e.path),
            Body::Unexplained(u) => Some(&u.path),
            Body::Session(_) | Body::End { .. } | Body::Gap(_) => None,
        }
    }
}

/// The `session` record. Its `session` id is empty if the record lacks it; readers that need it
/// say so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionInfo {
    #[serde(deserialize_with = "lenient")]
    pub schema: u32,
    #[serde(deserialize_with = "null_as_default")]
    pub session: String,
    #[serde(deserialize_with = "lenient")]
    pub server: NameVersion,
    /// The editor.
    #[serde(deserialize_with = "null_as_default")]
    pub client: NameVersion,
    #[serde(deserialize_with = "null_as_default")]
    pub author: String,
    /// The folder's name, never its absolute path.
    #[serde(deserialize_with = "null_as_default")]
    pub workspace: String,
    #[serde(deserialize_with = "encoding_or_utf16")]
    pub position_encoding: crate::text::Encoding,
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub git: Option<GitState>,
}

impl Default for SessionInfo {
    fn default() -> Self {
        SessionInfo {
            schema: 0,
            session: String::new(),
            server: NameVersion::default(),
            client: NameVersion::default(),
            author: String::new(),
            workspace: String::new(),
            // The protocol's default.
            position_encoding: crate::text::Encoding::Utf16,
            git: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameVersion {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GitState {
    pub head: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
}

/// A content change exactly as the editor sent it: `{"range": [[line, col], [line, col]], "text"}`,
/// or `{"text"}` for a whole-document replacement. Columns are in the session's position encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[[u32; 2]; 2]>,
    pub text: String,
}

impl Edit {
    pub fn from_change(change: &crate::text::TextChange) -> Self {
        Self::from(change.clone())
    }
}

/// The record of a change is the change itself: its text is moved, not copied.
impl From<crate::text::TextChange> for Edit {
    fn from(change: crate::text::TextChange) -> Self {
        Self { range: change.range.map(|(s, e)| [[s.line, s.column], [e.line, e.column]]), text: change.text }
    }
}

/// `null` read as the field's default, as a missing field is.
fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The field's value if it has the field's shape, else its default: for the fields only some
/// readers look at, so that one of another shape does not stop the others.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// The encoding a `session` record names, or the protocol's default if it names none that is
/// known (replay reads the record itself, and refuses such a journal).
fn encoding_or_utf16<'de, D: Deserializer<'de>>(d: D) -> Result<crate::text::Encoding, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(crate::text::Encoding::deserialize(value).unwrap_or(crate::text::Encoding::Utf16))
}

/// One journal line as every reader first sees it: `seq`, `ts` and `type`, and the fields of the
/// record types they use. A field that is missing, or of another shape than those records give it
/// (`edits` is a list in `change` records and a count in `rationale` records), is `None`.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct RawRecord<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    /// The record's `type`.
    #[serde(borrow, rename = "type")]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "super::raw::lenient_str")]
    pub path: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "super::raw::lenient_int")]
    pub version: Option<i64>,
    #[serde(borrow, default, deserialize_with = "super::raw::lenient_str")]
    pub text: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::raw::lenient_str")]
    pub sha256: Option<Cow<'a, str>>,
    /// The edits of a `change` record.
    #[serde(borrow, default)]
    pub edits: Edits<'a>,
    /// Of the `session` record.
    #[serde(default, deserialize_with = "super::raw::lenient_int")]
    pub schema: Option<i64>,
    #[serde(borrow, default, deserialize_with = "super::raw::lenient_str")]
    pub session: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "super::raw::lenient_str")]
    pub author: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "positionEncoding", deserialize_with = "super::raw::lenient_str")]
    pub position_encoding: Option<Cow<'a, str>>,
    /// The `chain` of a `save`, `rationale`, `skip`, `unexplained` or `end` record (see
    /// `chain`). Read strictly, unlike the fields above: a `chain` that is not a string makes the
    /// line damaged (and the reader checks its shape), since a reader cannot tell a record that
    /// carries a broken chain from one whose chain was tampered with.
    #[serde(borrow, default)]
    pub chain: Option<Cow<'a, str>>,
}

/// The `edits` field of a line.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Edits<'a> {
    /// No `edits` field.
    #[default]
    Absent,
    /// A list of edits as a `change` record holds them.
    List(Vec<RawEdit<'a>>),
    /// Something else: a number (as in `rationale` records), or a list with an element that is
    /// not an edit.
    Other,
}

/// One edit of a `change` record as read: an [`Edit`] whose text is borrowed from the line where
/// it needs no unescaping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEdit<'a> {
    pub range: Option<[[u32; 2]; 2]>,
    pub text: Cow<'a, str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    Shutdown,
    Exit,
}

/// Now, as the journal writes times: RFC 3339 in UTC with milliseconds.
pub fn timestamp() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

/// A wall-clock time as the journal writes times.
pub fn format_system_time(at: std::time::SystemTime) -> String {
    format_timestamp(at.into())
}

pub fn format_timestamp(at: time::OffsetDateTime) -> String {
    // Written out by hand: every keystroke's record has one, and `time`'s format descriptions
    // cost a tenth of a keystroke.
    let at = at.to_offset(time::UtcOffset::UTC);
    let (month, day) = (u8::from(at.month()), at.day());
    let (hour, minute, second, milli) = (at.hour(), at.minute(), at.second(), at.millisecond());
    format!("{:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z", at.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_record_has_the_spec_shape() {
        let record = Record {
            seq: 3,
            ts: "2026-11-26T08:30:00.123Z".into(),
            body: Body::Change {
                path: "src/app.py".into(),
                version: 7,
                edits: vec![
                    Edit { range: Some([[1, 2], [1, 2]]), text: "a".into() },
                    Edit { range: None, text: "whole".into() },
                ],
            },
        };
        let line = serde_json::to_string(&record).unwrap();
        assert_eq!(
            line,
            r#"{"seq":3,"ts":"2026-11-26T08:30:00.123Z","type":"change","path":"src/app.py","version":7,"edits":[{"range":[[1,2],[1,2]],"text":"a"},{"text":"whole"}]}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), record);
    }

    #[test]
    fn the_session_record_names_the_encoding_as_lsp_spells_it() {
        let body = Body::Session(SessionInfo {
            schema: SCHEMA,
            session: "20261126T083000Z-7f3a9c".into(),
            server: NameVersion { name: "rationale".into(), version: Some("0.1.0".into()) },
            client: NameVersion { name: "Visual Studio Code".into(), version: None },
            author: "dev@example.com".into(),
            workspace: "app".into(),
            position_encoding: crate::text::Encoding::Utf16,
            git: None,
        });
        let value = serde_json::to_value(&body).unwrap();
        assert_eq!(value["type"], "session");
        assert_eq!(value["positionEncoding"], "utf-16");
        assert_eq!(value["schema"], 1);
        assert!(value.get("git").is_none());
    }

    #[test]
    fn a_record_is_read_tolerantly_and_written_whole() {
        let line = r#"{"seq":6,"ts":"t","type":"rationale","pair":null,"path":"a.py","unit":{"name":"f"},"edits":"many","text":"why"}"#;
        let read: Explanation = serde_json::from_str(line).unwrap();
        assert_eq!((read.pair.as_str(), read.change.as_str(), read.via.as_str()), ("", "", ""));
        assert_eq!((read.unit.name.as_str(), read.unit.kind.as_str(), read.edits), ("f", "", 0));
        assert_eq!(read.text.as_deref(), Some("why"));
        let session: SessionInfo =
            serde_json::from_str(r#"{"session":"s","author":null,"positionEncoding":"utf-32"}"#).unwrap();
        assert_eq!((session.session.as_str(), session.author.as_str()), ("s", ""));
        assert_eq!(session.position_encoding, crate::text::Encoding::Utf16);
        let written = serde_json::to_value(Explanation { via: "command".into(), ..read }).unwrap();
        for field in ["pair", "change", "before", "after", "editsFrom", "promptedAt", "version", "group"] {
            assert!(written.get(field).is_some(), "{field} is always written");
        }
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let at = time::macros::datetime!(2026-11-26 08:30:00.1234 +02:00);
        assert_eq!(format_timestamp(at), "2026-11-26T06:30:00.123Z");
        let padded = time::macros::datetime!(2027-01-02 03:04:05.006 UTC);
        assert_eq!(format_timestamp(padded), "2027-01-02T03:04:05.006Z");
        let last_year = time::macros::datetime!(2026-01-01 01:00:00 +02:00);
        assert_eq!(format_timestamp(last_year), "2025-12-31T23:00:00.000Z");
    }
}
