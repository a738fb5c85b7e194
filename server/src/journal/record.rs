//! The journal's records: the one serialised boundary of Rationale. Field names and meanings are
//! fixed by the spec ("The journal"); every reader and writer goes through these types.

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
}

/// What an `unexplained` record holds: which change, of which unit, and when it was edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unexplained {
    /// The change id the editor was given.
    pub change: String,
    pub path: String,
    pub language: String,
    pub unit: UnitRef,
    /// `modified`, `added` or `removed`.
    pub kind: String,
    pub edits_from: Option<String>,
    pub edits_to: Option<String>,
    pub edits: u32,
}

/// What `rationale` and `skip` records hold: the unit before and after, and what was said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// `<session>:<seq>` of this record.
    pub pair: String,
    /// The change id the editor was given.
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
    pub edits: u32,
    pub prompted_at: Option<String>,
    pub version: i32,
    /// `command` or `why-comment`.
    pub via: String,
    /// Shared by the records of one rationale given for several changes.
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
            Body::Session(_) | Body::End { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub schema: u32,
    pub session: String,
    pub server: NameVersion,
    pub client: NameVersion,
    pub author: String,
    /// The folder's name, never its absolute path.
    pub workspace: String,
    pub position_encoding: crate::text::Encoding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitState>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NameVersion {
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
    fn timestamps_are_utc_with_milliseconds() {
        let at = time::macros::datetime!(2026-11-26 08:30:00.1234 +02:00);
        assert_eq!(format_timestamp(at), "2026-11-26T06:30:00.123Z");
        let padded = time::macros::datetime!(2027-01-02 03:04:05.006 UTC);
        assert_eq!(format_timestamp(padded), "2027-01-02T03:04:05.006Z");
        let last_year = time::macros::datetime!(2026-01-01 01:00:00 +02:00);
        assert_eq!(format_timestamp(last_year), "2025-12-31T23:00:00.000Z");
    }
}
