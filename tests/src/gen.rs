//! Seeded random edits, shaped like what people do in an editor: typing, backspacing, pasting
//! multi-line blocks, replacing selections, several changes in one notification, CRLF line
//! endings, emoji, CJK and combining marks, and ranges whose columns run past the end of their
//! line (which LSP clamps).

use crate::model::{Change, Encoding, Pos, TextModel};
use crate::rng::Rng;

/// Single characters and short runs a person types.
const TYPED: &[&str] = &[
    "a",
    "e",
    "x",
    "_",
    " ",
    " ",
    "(",
    ")",
    ":",
    "=",
    "\t",
    "é",
    "ß",
    "漢",
    "字",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "e\u{301}",
    "ü",
    "→",
    "\u{a0}",
];

/// Lines pasted as blocks.
const LINES: &[&str] = &[
    "def handler(request):",
    "    return request.body  # 返回",
    "class Session:",
    "    \"\"\"A session 🎉 with ünïcödé.\"\"\"",
    "const parse = (s) => s.split(',');",
    "function Router() { this.stack = []; }",
    "// コメント: 日本語のコメント",
    "x = [1, 2, 3]",
    "",
    "\t\tindented_with_tabs()",
    "emoji = \"👍🏽👨‍👩‍👧😀\"",
    "    pass",
];

/// A document's starting text, with the given line ending.
pub fn initial_text(rng: &mut Rng, newline: &str) -> String {
    let lines = rng.between(0, 12);
    let mut text = String::new();
    for _ in 0..lines {
        text.push_str(rng.pick::<&str>(LINES));
        text.push_str(newline);
    }
    if rng.chance(0.3) {
        // No line break at the end of the file.
        text.push_str(rng.pick::<&str>(LINES));
    }
    text
}

/// A multi-line block as a paste brings it.
pub fn block(rng: &mut Rng, newline: &str) -> String {
    let mut text = String::new();
    let n = rng.between(2, 7);
    for i in 0..n {
        text.push_str(rng.pick::<&str>(LINES));
        if i + 1 < n || rng.chance(0.6) {
            text.push_str(newline);
        }
    }
    text
}

/// A random offset that an LSP position can name (a character boundary, not inside a CRLF).
pub fn random_offset(rng: &mut Rng, model: &TextModel) -> usize {
    let boundaries: Vec<usize> = (0..=model.text.len()).filter(|&i| model.is_position_boundary(i)).collect();
    *rng.pick(&boundaries)
}

/// The generator of one document's edits.
#[derive(Clone, Debug)]
pub struct EditGen {
    pub encoding: Encoding,
    /// The line ending this document mostly uses.
    pub newline: &'static str,
    /// Above this many bytes, edits lean towards deleting.
    pub soft_limit: usize,
}

impl EditGen {
    pub fn new(encoding: Encoding, newline: &'static str) -> Self {
        Self { encoding, newline, soft_limit: 3000 }
    }

    fn some_text(&self, rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=4 => rng.pick(TYPED).to_string(),
            5 => self.newline.to_string(),
            6 => if rng.chance(0.5) { "\r\n" } else { "\n" }.to_string(),
            7 => rng.pick(LINES).to_string(),
            _ => block(rng, self.newline),
        }
    }

    /// One content change against `model`'s current text.
    pub fn change(&self, rng: &mut Rng, model: &TextModel) -> Change {
        let enc = self.encoding;
        let big = model.text.len() > self.soft_limit;
        let kind = rng.below(100);
        let pos = |rng: &mut Rng| model.position(random_offset(rng, model), enc);
        match kind {
            // Typing one character (or one grapheme) at the cursor.
            0..=34 if !big => Change::insert(pos(rng), rng.pick(TYPED).to_string()),
            // Pasting a block.
            35..=44 if !big => Change::insert(pos(rng), block(rng, self.newline)),
            // Backspace: the character before a position.
            45..=59 => {
                let end = random_offset(rng, model);
                let mut start = end;
                if start > 0 {
                    start -= 1;
                    while !model.is_position_boundary(start) {
                        start -= 1;
                    }
                }
                Change::replace(model.position(start, enc), model.position(end, enc), "")
            }
            // Deleting or replacing a selection, possibly across lines.
            60..=79 => {
                let a = random_offset(rng, model);
                let b = if rng.chance(0.7) {
                    // Mostly short selections, sometimes long ones.
                    let mut b = (a + rng.below(40)).min(model.text.len());
                    while !model.is_position_boundary(b) {
                        b += 1;
                    }
                    b
                } else {
                    random_offset(rng, model)
                };
                let (s, e) = (a.min(b), a.max(b));
                let text = if big || rng.chance(0.4) { String::new() } else { self.some_text(rng) };
                Change::replace(model.position(s, enc), model.position(e, enc), text)
            }
            // Columns past the end of their lines: clamped to the line's end.
            80..=91 => {
                let lines = model.line_count();
                let l1 = rng.below(lines);
                let l2 = if rng.chance(0.5) { l1 } else { rng.between(l1, lines - 1) };
                let s = Pos::new(l1, model.line_len(l1, enc) + rng.between(1, 12));
                // The raw range runs forwards too (LSP ranges have start <= end).
                let e = if l1 == l2 && rng.chance(0.5) {
                    s
                } else if l1 == l2 {
                    Pos::new(l2, s.col + rng.between(0, 30))
                } else {
                    Pos::new(l2, model.line_len(l2, enc) + rng.between(0, 30))
                };
                let text = if rng.chance(0.3) { String::new() } else { self.some_text(rng) };
                Change::replace(s, e, text)
            }
            // The whole document replaced (some clients send this after a reformat).
            92..=93 => {
                let mut text = model.text.clone();
                if !big {
                    text.push_str(&block(rng, self.newline));
                } else {
                    let mut cut = text.len() / 2;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                    // A lone `\r` left at the end would pair with a later `\n`; keep CRLFs whole.
                    while text.ends_with('\r') {
                        text.pop();
                    }
                }
                Change::whole(text)
            }
            // Replacing a selection with typed or pasted text.
            _ => {
                let a = random_offset(rng, model);
                let b = random_offset(rng, model);
                let (s, e) = (a.min(b), a.max(b));
                let text = if big { String::new() } else { self.some_text(rng) };
                Change::replace(model.position(s, enc), model.position(e, enc), text)
            }
        }
    }

    /// The content changes of one `didChange`: mostly one, sometimes two to four, each against
    /// the text the previous one left. Applies them to `model`.
    pub fn notification(&self, rng: &mut Rng, model: &mut TextModel) -> Vec<Change> {
        let n = if rng.chance(0.8) { 1 } else { rng.between(2, 4) };
        let mut changes = Vec::with_capacity(n);
        for _ in 0..n {
            let change = self.change(rng, model);
            model
                .apply(&change, self.encoding)
                .unwrap_or_else(|e| panic!("the generator made a change the model refuses: {e}"));
            changes.push(change);
        }
        changes
    }
}

/// The change as it applies: columns past the end of a line replaced by the line's length. Used to
/// accept a journal that writes the clamped range instead of the one received.
pub fn clamped(model: &TextModel, change: &Change, encoding: Encoding) -> Change {
    match change.range {
        None => change.clone(),
        Some((s, e)) => {
            let clamp = |p: Pos| Pos::new(p.line, p.col.min(model.line_len(p.line, encoding)));
            Change::replace(clamp(s), clamp(e), change.text.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_changes_always_apply_and_keep_crlf_pairs_whole() {
        for seed in 0..40 {
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let mut rng = Rng::new(seed);
                let newline = if seed % 2 == 0 { "\n" } else { "\r\n" };
                let gen = EditGen::new(encoding, newline);
                let mut model = TextModel::new(initial_text(&mut rng, newline));
                for _ in 0..150 {
                    gen.notification(&mut rng, &mut model);
                    let bytes = model.text.as_bytes();
                    for (i, &b) in bytes.iter().enumerate() {
                        if b == b'\r' {
                            assert_eq!(bytes.get(i + 1), Some(&b'\n'), "a lone CR (seed {seed})");
                        }
                    }
                }
            }
        }
    }
}
