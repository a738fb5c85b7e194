//! Unified diffs of units, as `diff -u` writes them (three lines of context), with `a/PATH` and
//! `b/PATH` headers. Line numbers in hunks count from the unit's first line.

use similar::TextDiff;

/// The unified diff from `before` to `after`; empty when they are equal.
pub fn unified(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// The hunks only (no file header): the small diffs of an edit history.
pub fn hunks(before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let diff = TextDiff::from_lines(before, after);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(1).iter_hunks() {
        out.push_str(&hunk.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_gives_one_hunk() {
        let diff = unified("app.py", "def f():\n    return 1\n", "def f():\n    return 2\n");
        assert_eq!(
            diff,
            "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n"
        );
        assert_eq!(unified("a", "x", "x"), "");
        assert_eq!(hunks("a\nb\nc\nd\n", "a\nb\nC\nd\n"), "@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
    }
}
