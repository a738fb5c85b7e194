//! Generated documents: a minified bundle, a lock file, a vendored megabyte of code. Their edits
//! are journaled as any document's (replay stays exact), but nobody explains a change to
//! generated code, and finding units in it would cost memory and time out of proportion to the
//! person's work. A document is generated when it is opened larger than `max_file_bytes`, or with
//! lines that average more than [`MAX_AVERAGE_LINE`] characters.

/// The longest average line, in characters, of a document a person writes: minified code runs to
/// tens of thousands; hand-written code, even with long strings, stays far below.
pub const MAX_AVERAGE_LINE: usize = 1000;

/// Why a document of `text` is generated, as the person is told; `None` when it is not.
pub fn reason(text: &str, max_file_bytes: u64) -> Option<String> {
    let bytes = text.len() as u64;
    if bytes > max_file_bytes {
        return Some(format!(
            "it is {} when opened, over maxFileBytes ({})",
            size(bytes),
            size(max_file_bytes)
        ));
    }
    // Small files say little by their line length (a one-line config file is not generated).
    if text.len() < 4 * MAX_AVERAGE_LINE {
        return None;
    }
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + usize::from(!text.ends_with('\n'));
    let characters = text.chars().count();
    let average = characters / lines.max(1);
    (average > MAX_AVERAGE_LINE).then(|| {
        format!(
            "its lines average {average} characters, over {MAX_AVERAGE_LINE}: it looks minified or generated"
        )
    })
}

/// `bytes` in the unit a person reads it in.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_or_minified_text_is_generated_and_code_a_person_writes_is_not() {
        let code = "def f(x):\n    return x + 1\n\n".repeat(2_000);
        assert_eq!(reason(&code, 2 * 1024 * 1024), None);
        let why = reason(&code, 1000).unwrap();
        assert!(why.contains("over maxFileBytes (1000 bytes)"), "{why}");
        assert!(why.contains("KiB"), "{why}");

        let minified = "function a(b){return b+1};".repeat(1_000);
        let why = reason(&minified, 2 * 1024 * 1024).unwrap();
        assert!(why.contains("average 26000 characters"), "{why}");
        // The same code with a line break after each function is code a person could write.
        let unminified = "function a(b){return b+1};\n".repeat(1_000);
        assert_eq!(reason(&unminified, 2 * 1024 * 1024), None);
        // One long line in a short file is not enough.
        assert_eq!(reason(&"x".repeat(3_000), 2 * 1024 * 1024), None);
    }

    #[test]
    fn characters_not_bytes_make_a_line_long() {
        // 600 CJK characters a line: 1,800 bytes, but under the limit in characters.
        let text = format!("{}\n", "字".repeat(600)).repeat(10);
        assert_eq!(reason(&text, 2 * 1024 * 1024), None);
    }
}
