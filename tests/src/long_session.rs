//! Long sessions made up rather than recorded: a journal of typing into two Python files, a
//! keystroke a record, with a pair every so often and a skip now and then, and the text of each
//! document after every record, so that a test can check any replay against it. Made in memory
//! in a fraction of a second; no large file is committed.

use serde_json::json;

use crate::sha256_hex;

pub const FILES: [&str; 2] = ["a.py", "b.py"];

/// A generated session.
pub struct LongSession {
    pub id: String,
    /// The journal, one record a line.
    pub journal: String,
    /// The `seq` of the last record.
    pub last: u64,
    /// The `seq` of each `rationale` record, in order.
    pub pairs: Vec<u64>,
    /// For each record (by `seq`): the index in [`FILES`] of the document it touched, and that
    /// document's text after it (`None` for records that touch no document).
    texts: Vec<Option<(usize, String)>>,
}

impl LongSession {
    /// About `records` records; `salt` changes what is typed, so that two sessions differ.
    pub fn new(id: &str, records: u64, salt: u64) -> LongSession {
        let mut journal = String::new();
        let mut texts = vec![None];
        let mut seq = 0u64;
        let ts = |seq: u64| {
            format!(
                "2026-12-04T{:02}:{:02}:{:02}.{:03}Z",
                8 + seq / 3_600_000,
                seq / 60_000 % 60,
                seq / 1000 % 60,
                seq % 1000
            )
        };
        let push = |value: serde_json::Value, journal: &mut String| {
            journal.push_str(&value.to_string());
            journal.push('\n');
        };
        push(
            json!({"seq": 0, "ts": ts(0), "type": "session", "schema": 1, "session": id,
                   "server": {"name": "rationale", "version": "0.1.0"}, "client": {"name": "tests", "version": null},
                   "author": "dev@example.com", "workspace": "proj", "positionEncoding": "utf-8"}),
            &mut journal,
        );
        let mut docs: Vec<String> = Vec::new();
        let mut pairs = Vec::new();
        for (i, path) in FILES.iter().enumerate() {
            seq += 1;
            let text = format!("def f{i}():\n    return {salt}\n");
            push(
                json!({"seq": seq, "ts": ts(seq), "type": "open", "path": path, "language": "python",
                       "version": 1, "text": text, "sha256": sha256_hex(text.as_bytes())}),
                &mut journal,
            );
            texts.push(Some((i, text.clone())));
            docs.push(text);
        }
        let mut versions = [1i64; 2];
        let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ salt;
        while seq < records {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Runs of a few hundred keys in one file, then the other.
            let file = ((seq / 300) % 2) as usize;
            let path = FILES[file];
            seq += 1;
            let roll = state % 1000;
            if roll < 2 && seq > 10 {
                let text = &docs[file];
                let unit = format!("f{seq}");
                let kind = if roll == 0 { "rationale" } else { "skip" };
                let mut record = json!({"seq": seq, "ts": ts(seq), "type": kind, "pair": format!("{id}:{seq}"),
                    "change": format!("c.{seq}"), "path": path, "language": "python",
                    "unit": {"name": unit, "kind": "function"}, "kind": "modified",
                    "before": "", "after": text.lines().last().unwrap_or(""),
                    "editsFrom": ts(seq - 1), "editsTo": ts(seq - 1), "edits": 1, "promptedAt": null,
                    "version": versions[file], "via": "command", "group": null});
                if kind == "rationale" {
                    record["text"] = json!(format!("Record {seq}: the reason for this change."));
                    pairs.push(seq);
                } else {
                    record["reason"] = json!("formatting");
                }
                push(record, &mut journal);
                texts.push(None);
                continue;
            }
            if roll < 10 {
                push(
                    json!({"seq": seq, "ts": ts(seq), "type": "save", "path": path,
                           "sha256": sha256_hex(docs[file].as_bytes())}),
                    &mut journal,
                );
                texts.push(Some((file, docs[file].clone())));
                continue;
            }
            let doc = &mut docs[file];
            let line = doc.matches('\n').count() as u64;
            let column = doc.len() - doc.rfind('\n').map_or(0, |i| i + 1);
            let (range, text) = if roll < 60 && column > 0 {
                // A backspace.
                doc.pop();
                (json!([[line, column - 1], [line, column]]), String::new())
            } else {
                let c = if roll < 120 { '\n' } else { (b'a' + (state >> 20) as u8 % 26) as char };
                doc.push(c);
                (json!([[line, column], [line, column]]), c.to_string())
            };
            versions[file] += 1;
            push(
                json!({"seq": seq, "ts": ts(seq), "type": "change", "path": path, "version": versions[file],
                       "edits": [{"range": range, "text": text}]}),
                &mut journal,
            );
            texts.push(Some((file, doc.clone())));
        }
        LongSession { id: id.to_owned(), journal, last: seq, pairs, texts }
    }

    /// The text of `path` after record `seq`: the text after the last record before it that
    /// touched it.
    pub fn text_at(&self, path: &str, seq: u64) -> Option<&str> {
        let file = FILES.iter().position(|f| *f == path)?;
        self.texts[..=seq as usize]
            .iter()
            .rev()
            .flatten()
            .find(|(f, _)| *f == file)
            .map(|(_, text)| text.as_str())
    }

    /// Writes the journal into `folder`'s store.
    pub fn write_into(&self, folder: &std::path::Path) -> std::path::PathBuf {
        let dir = folder.join(".rationale/sessions");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.jsonl", self.id));
        std::fs::write(&path, &self.journal).unwrap();
        path
    }
}
