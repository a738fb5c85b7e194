//! Review verdicts and line comments: `.rationale/reviews/<reviewer>.jsonl`, one `{"ts",
//! "reviewer", "pair", "verdict", "note"?}` (a verdict) or `{"ts", "reviewer", "pair", "line",
//! "note"}` (a comment on one line of the pair's `after`) a line, appended by the
//! `rationale/review` request and read by the timeline, the queue, the hover index, `export` and
//! `stats`. `pair` names what is judged: a pair, a skip or an unexplained change, each by its
//! `<session>:<seq>`.
//!
//! The latest verdict of a reviewer for a pair stands; verdicts of different reviewers stand side
//! by side. Comments never replace one another: a pair has every comment written on it. A reviewer's name becomes a file name only through [`file_name`], which can never
//! name a path: whatever the configured `author` holds (`../x`, `/`, NUL, a thousand characters),
//! the file is a plain name inside `reviews/`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError, REVIEWS_DIR, STORE_DIR};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accept,
    Reject,
    Flag,
}

impl Verdict {
    pub fn parse(word: &str) -> Option<Verdict> {
        match word {
            "accept" => Some(Verdict::Accept),
            "reject" => Some(Verdict::Reject),
            "flag" => Some(Verdict::Flag),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Flag => "flag",
        }
    }
}

/// One line of a reviews file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub ts: String,
    pub reviewer: String,
    /// The pair id, `<session>:<seq>`.
    pub pair: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One line comment: a remark on line `line` (0-based) of the pair's `after` text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub ts: String,
    pub reviewer: String,
    /// The id of what is commented on, `<session>:<seq>`.
    pub pair: String,
    pub line: u32,
    pub note: String,
}

/// A comment as it is shown beside its pair, in exports and in the review requests: the pair's id
/// is where it sits, so it is left out.
#[derive(Serialize)]
pub struct CommentBeside<'a> {
    pub line: u32,
    pub note: &'a str,
    pub reviewer: &'a str,
    pub ts: &'a str,
}

impl Comment {
    pub fn beside(&self) -> CommentBeside<'_> {
        CommentBeside { line: self.line, note: &self.note, reviewer: &self.reviewer, ts: &self.ts }
    }
}

/// A line of a reviews file: a comment has a `line`, a verdict has none (files written before
/// comments existed hold verdicts only, and read as they always did).
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Comment(Comment),
    Review(Review),
}

/// The longest file name made from a reviewer's name, in bytes (file systems allow 255).
const MAX_NAME: usize = 100;

/// The file name (without `.jsonl`) of a reviewer's verdicts: the name itself when it is made of
/// letters, digits and `.-_@+` and does not start with a dot; otherwise those characters kept,
/// every other one replaced by `_`, and a hash of the whole name appended so that two names that
/// differ only in the replaced characters keep separate files.
pub fn file_name(reviewer: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+');
    let mut name: String = reviewer.chars().map(|c| if safe(c) { c } else { '_' }).collect();
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    let changed = name != reviewer || name.len() > MAX_NAME || name.is_empty();
    if changed {
        name.truncate(MAX_NAME);
        let hash = crate::text::sha256_hex([reviewer.as_bytes()]);
        name = format!("{name}-{}", &hash[..12]);
    }
    name
}

/// Appends `review` to its reviewer's file in `store` and syncs it before returning.
pub fn append(store: &Store, review: &Review) -> Result<(), StoreError> {
    append_line(store, &review.reviewer, review)
}

/// Appends `comment` to its reviewer's file in `store` and syncs it before returning.
pub fn append_comment(store: &Store, comment: &Comment) -> Result<(), StoreError> {
    append_line(store, &comment.reviewer, comment)
}

fn append_line(store: &Store, reviewer: &str, entry: &impl Serialize) -> Result<(), StoreError> {
    let relative = format!("{REVIEWS_DIR}/{}.jsonl", file_name(reviewer));
    let mut file = store.append_file(&relative)?;
    let mut line = serde_json::to_vec(entry).expect("a review always serialises");
    line.push(b'\n');
    let path = store.dir().join(&relative);
    let io = |source| StoreError::Io { path: path.clone(), action: "write", source };
    file.write_all(&line).map_err(io)?;
    file.sync_data().map_err(io)
}

/// The verdicts that stand, by pair: the latest of each reviewer; and every comment, by pair.
#[derive(Clone, Debug, Default)]
pub struct Reviews {
    by_pair: HashMap<String, Vec<Review>>,
    comments: HashMap<String, Vec<Comment>>,
}

impl Reviews {
    /// Reads every reviews file of a workspace folder. A file or line that cannot be read is
    /// skipped and named in the returned problems (`FILE:LINE: why`); a torn final line (a
    /// verdict being written) is skipped silently.
    pub fn read(folder: &Path) -> (Reviews, Vec<String>) {
        let mut reviews = Reviews::default();
        let mut problems = Vec::new();
        for file in review_files(folder) {
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(err) => {
                    problems.push(format!("{}: {err}", file.display()));
                    continue;
                }
            };
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            for (index, line) in bytes[..complete].split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Entry>(line) {
                    Ok(Entry::Review(review)) => reviews.add(review),
                    Ok(Entry::Comment(comment)) => reviews.add_comment(comment),
                    // The untagged enum's own message says only that no shape matched; reading
                    // it as a verdict says which field is wrong.
                    Err(_) if serde_json::from_slice::<serde_json::Value>(line).is_ok() => {
                        let err = serde_json::from_slice::<Review>(line).err();
                        let why = err.map_or_else(|| "not a verdict or a comment".into(), |e| e.to_string());
                        problems.push(format!("{}:{}: {why}", file.display(), index + 1))
                    }
                    Err(err) => problems.push(format!("{}:{}: {err}", file.display(), index + 1)),
                }
            }
        }
        (reviews, problems)
    }

    /// Takes a verdict in: it replaces the same reviewer's earlier verdict on the pair.
    pub fn add(&mut self, review: Review) {
        let standing = self.by_pair.entry(review.pair.clone()).or_default();
        match standing.iter_mut().find(|r| r.reviewer == review.reviewer) {
            Some(earlier) if earlier.ts <= review.ts => *earlier = review,
            Some(_) => {}
            None => standing.push(review),
        }
        // Latest first; timestamps of one format sort as strings.
        standing.sort_by(|a, b| b.ts.cmp(&a.ts).then_with(|| a.reviewer.cmp(&b.reviewer)));
    }

    /// Takes a comment in, beside the others on its pair.
    pub fn add_comment(&mut self, comment: Comment) {
        let comments = self.comments.entry(comment.pair.clone()).or_default();
        if !comments.contains(&comment) {
            comments.push(comment);
        }
        // By line, then oldest first: a thread reads in the order it was written.
        comments.sort_by(|a, b| (a.line, &a.ts, &a.reviewer).cmp(&(b.line, &b.ts, &b.reviewer)));
    }

    /// Takes in the verdicts and comments of another folder (a team's collected folders review
    /// each other's pairs).
    pub fn merge(&mut self, other: Reviews) {
        for review in other.by_pair.into_values().flatten() {
            self.add(review);
        }
        for comment in other.comments.into_values().flatten() {
            self.add_comment(comment);
        }
    }

    /// Every comment on `pair`, by line and then oldest first.
    pub fn comments(&self, pair: &str) -> &[Comment] {
        self.comments.get(pair).map_or(&[], Vec::as_slice)
    }

    /// The standing verdicts on `pair`, latest first.
    pub fn of(&self, pair: &str) -> &[Review] {
        self.by_pair.get(pair).map_or(&[], Vec::as_slice)
    }

    /// The most recent standing verdict on `pair`.
    pub fn latest(&self, pair: &str) -> Option<&Review> {
        self.of(pair).first()
    }
}

/// `reviews/*.jsonl` of a folder, sorted; none if the folder has no store yet.
fn review_files(folder: &Path) -> Vec<PathBuf> {
    let dir = folder.join(STORE_DIR).join(REVIEWS_DIR);
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchDir;

    fn review(ts: &str, reviewer: &str, pair: &str, verdict: Verdict) -> Review {
        Review { ts: ts.into(), reviewer: reviewer.into(), pair: pair.into(), verdict, note: None }
    }

    #[test]
    fn a_reviewer_name_never_names_a_path() {
        assert_eq!(file_name("alice@example.com"), "alice@example.com");
        for hostile in ["../x", "/", "a/b", "..", ".hidden", "nul\0byte", "", &"x".repeat(1000)] {
            let name = file_name(hostile);
            assert!(!name.contains('/') && !name.contains('\0') && !name.starts_with('.'), "{name:?}");
            assert!(!name.is_empty() && name.len() <= MAX_NAME + 13, "{hostile:?} -> {name:?}");
        }
        assert_ne!(file_name("a/b"), file_name("a_b"), "names that differ keep separate files");
    }

    #[test]
    fn the_latest_verdict_of_each_reviewer_stands() {
        let mut reviews = Reviews::default();
        reviews.add(review("2026-01-01T00:00:01.000Z", "a", "s:5", Verdict::Accept));
        reviews.add(review("2026-01-01T00:00:03.000Z", "b", "s:5", Verdict::Flag));
        reviews.add(review("2026-01-01T00:00:04.000Z", "a", "s:5", Verdict::Reject));
        reviews.add(review("2026-01-01T00:00:02.000Z", "a", "s:5", Verdict::Accept));
        let standing: Vec<_> = reviews.of("s:5").iter().map(|r| (&*r.reviewer, r.verdict)).collect();
        assert_eq!(standing, [("a", Verdict::Reject), ("b", Verdict::Flag)]);
        assert!(reviews.of("s:6").is_empty());
    }

    #[test]
    fn verdicts_are_appended_and_read_back_with_bad_lines_named() {
        let dir = ScratchDir::new("reviews");
        let store = Store::open(dir.path()).unwrap();
        let mut first = review("2026-01-01T00:00:01.000Z", "../evil", "s:1", Verdict::Flag);
        first.note = Some("unclear".into());
        append(&store, &first).unwrap();
        append(&store, &review("2026-01-01T00:00:02.000Z", "bob", "s:2", Verdict::Accept)).unwrap();
        let files = review_files(dir.path());
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.parent().unwrap().ends_with(".rationale/reviews")));
        // A damaged line is named; a torn final line is not an error.
        let bob = dir.path().join(".rationale/reviews/bob.jsonl");
        let mut text = std::fs::read_to_string(&bob).unwrap();
        text.push_str("not json\n{\"ts\":");
        std::fs::write(&bob, text).unwrap();
        let (reviews, problems) = Reviews::read(dir.path());
        assert_eq!(reviews.latest("s:1"), Some(&first));
        assert_eq!(reviews.latest("s:2").map(|r| r.verdict), Some(Verdict::Accept));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("bob.jsonl:2:"), "{problems:?}");
    }
}
