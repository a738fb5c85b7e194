//! The words of a rationale as the signals see them, and the fixed word lists they match against.
//!
//! A *word* is a run of letters, digits and `_`, lowercased; each Han, Hiragana or Katakana
//! character is a word of its own, because those scripts do not separate words by spaces and a
//! Chinese rationale must not count as one long word. Apostrophes and hyphens split words, so
//! `doesn't` gives `doesn` and `t`, and `gh-12` gives `gh` and `12`. The lists are English: see
//! [`latin_share`] for how the signals stay quiet on text they cannot read.

/// At most this many bytes of a rationale are read: a 100 KB paste gets signals in bounded time,
/// and no reason hides in its second half that the first 64 KB did not already give.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// `text` cut to [`MAX_TEXT_BYTES`] on a character boundary.
pub fn bounded(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A script written without spaces between words: each of its characters counts as a word.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B and later
}

/// The lowercased words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if is_unspaced(c) {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() || c == '_' {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Of the letters of `text`, the share in the Latin script (1.0 when it has no letters). The word
/// lists are English, so a rationale written mostly in another script is not judged by them.
pub fn latin_share(text: &str) -> f64 {
    let (mut letters, mut latin) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        // Basic Latin through Latin Extended-B, and Latin Extended Additional.
        if (c as u32) < 0x0250 || (0x1E00..=0x1EFF).contains(&(c as u32)) {
            latin += 1;
        }
    }
    if letters == 0 {
        1.0
    } else {
        latin as f64 / letters as f64
    }
}

/// Words that carry no content of their own: articles, pronouns, prepositions, auxiliaries.
pub fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "the"
            | "this"
            | "that"
            | "these"
            | "those"
            | "it"
            | "its"
            | "i"
            | "we"
            | "you"
            | "he"
            | "she"
            | "they"
            | "me"
            | "my"
            | "our"
            | "your"
            | "of"
            | "in"
            | "on"
            | "at"
            | "to"
            | "for"
            | "from"
            | "with"
            | "by"
            | "as"
            | "into"
            | "onto"
            | "and"
            | "or"
            | "but"
            | "is"
            | "are"
            | "was"
            | "were"
            | "be"
            | "been"
            | "am"
            | "do"
            | "did"
            | "does"
            | "has"
            | "have"
            | "had"
            | "some"
            | "all"
            | "any"
            | "just"
            | "now"
            | "also"
            | "then"
            | "there"
            | "here"
            | "s"
            | "t"
            | "up"
            | "out"
    )
}

/// Filler: words that name that something changed without saying what or why. A rationale made
/// only of these (and stopwords) is `generic`. CommitPackFT drops messages like these for the same
/// reason; the list is ours.
pub fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "fix"
            | "fixed"
            | "fixes"
            | "fixing"
            | "update"
            | "updated"
            | "updates"
            | "updating"
            | "change"
            | "changed"
            | "changes"
            | "changing"
            | "wip"
            | "refactor"
            | "refactored"
            | "refactoring"
            | "misc"
            | "minor"
            | "stuff"
            | "things"
            | "thing"
            | "tweak"
            | "tweaks"
            | "tweaked"
            | "cleanup"
            | "clean"
            | "cleaned"
            | "edit"
            | "edits"
            | "edited"
            | "modify"
            | "modified"
            | "done"
            | "ok"
            | "okay"
            | "yes"
            | "no"
            | "na"
            | "n"
            | "tmp"
            | "temp"
            | "todo"
            | "test"
            | "testing"
            | "asdf"
            | "qwerty"
            | "foo"
            | "bar"
            | "xxx"
            | "x"
            | "see"
            | "above"
            | "below"
            | "same"
            | "before"
            | "again"
            | "more"
            | "small"
            | "work"
            | "code"
            | "commit"
            | "save"
            | "saved"
            | "improve"
            | "improved"
            | "improvements"
            | "improvement"
            | "various"
            | "several"
            | "polish"
            | "etc"
            | "lol"
            | "hmm"
            | "whatever"
            | "something"
            | "nothing"
            | "explanation"
            | "rationale"
            | "reason"
            | "because"
            | "placeholder"
            | "dummy"
            | "blah"
            | "aaa"
            | "abc"
            | "test1"
            | "try"
            | "trying"
            | "attempt"
            | "one"
            | "another"
            | "bit"
            | "little"
            | "lot"
            | "less"
    )
}

/// Words that give a reason, a purpose or a problem. Their presence means the rationale says why
/// (or at least names the trouble, which Tian et al.'s annotators counted as a why). Chosen by
/// reading what people write when they explain a change, then checked on the even ids of the
/// benchmark only.
pub fn is_why_cue(word: &str) -> bool {
    matches!(
        word,
        "because" | "since" | "so" | "why" | "reason" | "otherwise" | "avoid" | "avoids" | "avoiding"
            | "prevent" | "prevents" | "preventing" | "fix" | "fixes" | "fixed" | "fixing" | "bug" | "bugs"
            | "error" | "errors" | "fail" | "fails" | "failed" | "failing" | "failure" | "crash"
            | "crashes" | "crashed" | "broken" | "break" | "breaks" | "wrong" | "incorrect"
            | "incorrectly" | "issue" | "issues" | "problem" | "problems" | "typo" | "typos" | "should"
            | "need" | "needs" | "needed" | "necessary" | "unnecessary" | "better" | "instead" | "allow"
            | "allows" | "allowing" | "ensure" | "ensures" | "support" | "workaround" | "regression"
            | "leak" | "leaks" | "npe" | "exception" | "exceptions" | "missing" | "unused" | "deprecated"
            | "closes" | "close" | "resolves" | "see" | "order" | "faster" | "slow" | "slower"
            | "performance" | "simplify" | "simpler" | "easier" | "consistent" | "consistency"
            | "compatible" | "compatibility" | "safe" | "unsafe" | "conflict" | "conflicts" | "prepare"
            | "polish" | "revert" | "when" | "if" | "unless" | "so_that" | "must" | "cannot" | "can"
            | "could" | "would" | "hence" | "thus" | "therefore" | "due" | "caused" | "causes"
            | "racy" | "race" | "deadlock" | "hang" | "hangs" | "slowdown" | "overflow" | "panic"
            | "panics" | "security" | "vulnerability" | "requested" | "asked" | "wanted" | "users"
            // Chinese and Japanese words for because, in order to, so that, avoid, fix, problem.
            | "因" | "为" | "避" | "免" | "修" | "复" | "错" | "误" | "题" | "ため" | "ので" | "から"
    )
}

/// Verbs that can open a purpose clause: "to avoid", "to make", "to keep".
pub fn is_purpose_verb(word: &str) -> bool {
    matches!(
        word,
        "be" | "make"
            | "get"
            | "keep"
            | "allow"
            | "let"
            | "avoid"
            | "use"
            | "support"
            | "match"
            | "reduce"
            | "improve"
            | "handle"
            | "prevent"
            | "ensure"
            | "enable"
            | "speed"
            | "save"
            | "simplify"
            | "fix"
            | "stop"
            | "help"
            | "reflect"
            | "account"
            | "comply"
            | "satisfy"
    )
}

/// Topics whose purpose goes without saying: a version bump, the docs, the tests, a typo, the
/// style. Tian et al.'s annotators marked most such messages as giving a why, so a rationale about
/// one of them is not flagged `no_why`.
pub fn is_self_explaining_topic(word: &str) -> bool {
    matches!(
        word,
        "version"
            | "versions"
            | "bump"
            | "upgrade"
            | "upgraded"
            | "snapshot"
            | "release"
            | "releases"
            | "changelog"
            | "readme"
            | "javadoc"
            | "javadocs"
            | "doc"
            | "docs"
            | "documentation"
            | "docstring"
            | "comment"
            | "comments"
            | "test"
            | "tests"
            | "testing"
            | "typo"
            | "spelling"
            | "style"
            | "format"
            | "formatting"
            | "whitespace"
            | "spaces"
            | "space"
            | "indentation"
            | "contributor"
            | "contributors"
            | "logo"
            | "license"
            | "copyright"
            | "redundant"
            | "useless"
            | "unused"
            | "old"
            | "obsolete"
            | "dead"
            | "cleanup"
            | "clean"
            | "polish"
            | "tidy"
            | "sample"
            | "samples"
            | "example"
            | "examples"
            | "demo"
            | "md"
            | "notes"
            | "lint"
            | "checkstyle"
            | "proguard"
            | "todo"
            | "refactor"
            | "refactoring"
            | "annotation"
            | "annotations"
            | "improve"
            | "improved"
    )
}

/// Words a rationale uses to say that code changed, whatever the code: they neither restate a
/// diff nor give a reason, so `restates_diff` does not count them.
pub fn is_change_verb(word: &str) -> bool {
    matches!(
        word,
        "change"
            | "changed"
            | "changes"
            | "replace"
            | "replaced"
            | "replaces"
            | "set"
            | "sets"
            | "rename"
            | "renamed"
            | "add"
            | "added"
            | "adds"
            | "remove"
            | "removed"
            | "removes"
            | "delete"
            | "deleted"
            | "move"
            | "moved"
            | "moves"
            | "use"
            | "used"
            | "uses"
            | "make"
            | "made"
            | "makes"
            | "call"
            | "calls"
            | "called"
            | "return"
            | "returns"
            | "now"
            | "instead"
            | "line"
            | "lines"
            | "value"
            | "variable"
            | "function"
            | "method"
            | "argument"
            | "parameter"
            | "update"
            | "updated"
            | "new"
            | "old"
            | "plus"
            | "minus"
            | "equal"
            | "equals"
    ) || is_stopword(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_runs_and_each_han_character_is_one() {
        assert_eq!(words("Fix NPE in fooBar_baz, doesn't"), ["fix", "npe", "in", "foobar_baz", "doesn", "t"]);
        assert_eq!(words("修复错误 in parser"), ["修", "复", "错", "误", "in", "parser"]);
        assert_eq!(words("🎉🎉 — ..."), Vec::<String>::new());
        assert_eq!(words("Ünïcödé שלום"), ["ünïcödé", "שלום"]);
    }

    #[test]
    fn latin_share_counts_letters_only() {
        assert_eq!(latin_share("123 !!"), 1.0);
        assert_eq!(latin_share("abc"), 1.0);
        assert!(latin_share("修复错误 ab") < 0.5);
        assert!(latin_share("תיקון באג") < 0.01);
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        let text = "é".repeat(MAX_TEXT_BYTES); // two bytes each
        let cut = bounded(&text);
        assert!(cut.len() <= MAX_TEXT_BYTES && cut.len() >= MAX_TEXT_BYTES - 1);
        assert_eq!(bounded("short"), "short");
    }
}
