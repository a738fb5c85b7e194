//! A parser for the one line shape that makes up nearly all of a journal: a `change` record
//! exactly as the writer serialises it (`{"seq":…,"ts":"…","type":"change","path":"…",
//! "version":…,"edits":[{"range":[[…,…],[…,…]],"text":"…"}]}`, no spaces, no escapes in its
//! strings). It reads such a line in a fraction of the time serde_json takes, which is most of what
//! replay costs. Anything else, or anything it is unsure of, it leaves to serde (`None`): it only
//! ever accepts lines that serde reads into the same [`RawRecord`], which a test checks on mutated lines.

use std::borrow::Cow;

use super::record::{Edits, RawEdit, RawRecord};

pub(super) fn change(line: &[u8]) -> Option<RawRecord<'_>> {
    let mut p = Cursor { bytes: line, at: 0 };
    p.expect(b"{\"seq\":")?;
    let seq = p.number()?;
    p.expect(b",\"ts\":")?;
    let ts = p.string()?;
    p.expect(b",\"type\":\"change\",\"path\":")?;
    let path = p.string()?;
    p.expect(b",\"version\":")?;
    let version = i64::try_from(p.number()?).ok()?;
    p.expect(b",\"edits\":[")?;
    let mut edits = Vec::with_capacity(1);
    if !p.eat(b"]") {
        loop {
            edits.push(p.edit()?);
            if p.eat(b"]") {
                break;
            }
            p.expect(b",")?;
        }
    }
    p.expect(b"}")?;
    if p.at != line.len() {
        return None;
    }
    Some(RawRecord {
        seq,
        ts: Cow::Borrowed(ts),
        kind: Cow::Borrowed("change"),
        path: Some(Cow::Borrowed(path)),
        version: Some(version),
        text: None,
        sha256: None,
        edits: Edits::List(edits),
        schema: None,
        session: None,
        author: None,
        position_encoding: None,
        chain: None,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, literal: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(literal);
        if found {
            self.at += literal.len();
        }
        found
    }

    fn expect(&mut self, literal: &[u8]) -> Option<()> {
        self.eat(literal).then_some(())
    }

    /// Digits without a sign, a fraction, an exponent or a leading zero (which JSON forbids).
    fn number(&mut self) -> Option<u64> {
        let digits = self.bytes[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let text = &self.bytes[self.at..self.at + digits];
        if digits == 0 || (digits > 1 && text[0] == b'0') {
            return None;
        }
        let mut n = 0u64;
        for &digit in text {
            n = n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
        }
        self.at += digits;
        Some(n)
    }

    fn small_number(&mut self) -> Option<u32> {
        u32::try_from(self.number()?).ok()
    }

    /// A string without escapes or control characters, borrowed from the line.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b"\"")?;
        let rest = &self.bytes[self.at..];
        let len = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        let text = std::str::from_utf8(&rest[..len]).ok()?;
        self.at += len + 1;
        Some(text)
    }

    fn edit(&mut self) -> Option<RawEdit<'a>> {
        self.expect(b"{")?;
        let range = if self.eat(b"\"range\":[[") {
            let start = [self.small_number()?, self.expect(b",").and_then(|()| self.small_number())?];
            self.expect(b"],[")?;
            let end = [self.small_number()?, self.expect(b",").and_then(|()| self.small_number())?];
            self.expect(b"]],")?;
            Some([start, end])
        } else {
            None
        };
        self.expect(b"\"text\":")?;
        let text = self.string()?;
        self.expect(b"}")?;
        Some(RawEdit { range, text: Cow::Borrowed(text) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer's change lines take the fast path, and whatever the fast path accepts, serde
    /// reads the same way: checked on the writer's lines and on many mutations of them.
    #[test]
    fn the_fast_path_reads_change_lines_as_serde_does() {
        use crate::journal::{Body, Edit, Record};
        use rand::{rngs::StdRng, Rng, SeedableRng};

        fn serde(line: &[u8]) -> Option<RawRecord<'_>> {
            serde_json::from_slice(line).ok()
        }
        let mut lines = Vec::new();
        for (i, (range, text)) in [
            (Some([[0, 0], [0, 0]]), "x"),
            (Some([[12, 4294967295], [130, 7]]), "日本 😀"),
            (None, "whole text"),
            (Some([[1, 2], [3, 4]]), ""),
            (Some([[0, 0], [0, 0]]), "needs \"escapes\"\n"),
        ]
        .into_iter()
        .enumerate()
        {
            let edits = vec![Edit { range, text: text.into() }; 1 + i % 3];
            let body = Body::Change { path: format!("src/ü{i}.py"), version: i as i32 * 1000, edits };
            let record = Record { seq: 12345 + i as u64, ts: "2026-11-26T08:30:00.123Z".into(), body };
            lines.push(serde_json::to_vec(&record).unwrap());
        }
        lines.push(br#"{"seq":1,"ts":"t","type":"change","path":"a","version":1,"edits":[]}"#.to_vec());
        for line in &lines {
            let text = String::from_utf8_lossy(line);
            assert_eq!(change(line).is_some(), !text.contains('\\'), "{text}");
            if let Some(record) = change(line) {
                assert_eq!(Some(record), serde(line), "{text}");
            }
        }

        let alphabet = b"0123456789-+.eE,:[]{}\" \\\n\x01\xc3\xa9\xffabcnrtuy";
        let mut rng = StdRng::seed_from_u64(7);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let mut line = lines[rng.gen_range(0..lines.len())].clone();
            for _ in 0..rng.gen_range(1..=3) {
                let at = rng.gen_range(0..=line.len());
                match rng.gen_range(0..3) {
                    0 if at < line.len() => line[at] = alphabet[rng.gen_range(0..alphabet.len())],
                    1 => line.insert(at, alphabet[rng.gen_range(0..alphabet.len())]),
                    _ if at < line.len() => {
                        line.remove(at);
                    }
                    _ => {}
                }
            }
            if let Some(record) = change(&line) {
                accepted += 1;
                assert_eq!(Some(record), serde(&line), "{}", String::from_utf8_lossy(&line));
            }
        }
        assert!(accepted > 1000, "the mutations should keep some lines readable: {accepted}");
    }
}
