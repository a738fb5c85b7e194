//! Re-basing documents across a gap in a journal. When the journal writer has to let go of records
//! made while the journal could not be written (there were more than it keeps in memory), it writes
//! instead, for every document they touched, its whole text as they left it: replay then goes on
//! from that text, exactly. [`rebase`] works those records out.

use std::collections::{BTreeMap, BTreeSet};

use super::Replayer;
use crate::journal::{Body, Journal, Resume};

/// `journal` holds whole journal lines: its first `base_len` bytes are the journal on disk, the
/// rest are the records let go of, serialised as the writer writes them. Returns, for every
/// document those records touch, in path order, the records that leave it as they did: a `resync`
/// with its whole text for a document open on disk, an `open` for one they opened (`languages`
/// names its language), then a `close` for one they left closed. `reason` is each `resync`'s.
pub fn rebase(
    journal: Vec<u8>,
    base_len: usize,
    languages: &BTreeMap<String, String>,
    reason: &str,
) -> Result<Vec<Body>, String> {
    let journal = Journal::from_bytes("the journal being re-based", journal);
    let mut replayer = Replayer::new(journal.path());
    let mut open_on_disk: Option<BTreeSet<String>> = None;
    let mut touched = BTreeSet::new();
    for line in journal.records() {
        let line = line.map_err(|error| error.to_string())?;
        if line.offset >= base_len {
            if open_on_disk.is_none() {
                let here = Resume { offset: line.offset, line: line.number - 1, seq: line.record.seq };
                let checkpoint = replayer.checkpoint(here).map_err(|error| error.to_string())?;
                let open = checkpoint.documents().iter().filter(|(_, document)| document.open);
                open_on_disk = Some(open.map(|(path, _)| path.clone()).collect());
            }
            if let Some(path) = &line.record.path {
                if matches!(&*line.record.kind, "open" | "change" | "resync" | "close" | "save") {
                    touched.insert(path.to_string());
                }
            }
        }
        replayer.apply(&line).map_err(|error| error.to_string())?;
    }
    let open_on_disk = open_on_disk.unwrap_or_default();
    let replayed = replayer.finish().map_err(|error| error.to_string())?;
    let mut records = Vec::new();
    for path in touched {
        let Some(file) = replayed.files.get(&path) else { continue };
        let (text, version, sha256) = (file.document.text(), file.document.version(), file.document.sha256());
        records.push(if open_on_disk.contains(&path) {
            Body::Resync { path: path.clone(), version, text, sha256, reason: reason.to_owned() }
        } else {
            let language = languages.get(&path).cloned().unwrap_or_default();
            Body::Open { path: path.clone(), language, version, text, sha256 }
        });
        if !file.open {
            records.push(Body::Close { path });
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::samples::{change, journal_text, open, sha};
    use crate::text::Encoding;

    #[test]
    fn each_document_the_records_let_go_of_touched_comes_back_whole() {
        let on_disk = vec![open("a.py", "a\n"), open("b.py", "b\n")];
        let let_go = vec![
            change("a.py", 2, &[((0, 1, 0, 1), "x")]),
            open("c.py", "c\n"),
            change("c.py", 2, &[((0, 0, 0, 0), "y")]),
            Body::Close { path: "c.py".into() },
            Body::Close { path: "b.py".into() },
        ];
        let base_len = journal_text(Encoding::Utf8, on_disk.clone()).len();
        let whole = journal_text(Encoding::Utf8, on_disk.into_iter().chain(let_go).collect());
        let languages = BTreeMap::from([("c.py".to_owned(), "python".to_owned())]);
        let records = rebase(whole.into_bytes(), base_len, &languages, "lost").unwrap();
        let resync = |path: &str, version, text: &str| Body::Resync {
            path: path.into(),
            version,
            text: text.into(),
            sha256: sha(text),
            reason: "lost".into(),
        };
        let opened = Body::Open {
            path: "c.py".into(),
            language: "python".into(),
            version: 2,
            text: "yc\n".into(),
            sha256: sha("yc\n"),
        };
        assert_eq!(
            records,
            [
                resync("a.py", 2, "ax\n"),
                resync("b.py", 1, "b\n"),
                Body::Close { path: "b.py".into() },
                opened,
                Body::Close { path: "c.py".into() },
            ]
        );
    }
}
