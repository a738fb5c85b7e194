//! How far a rationale's text can be trusted to explain its change: the offline signals
//! `generic`, `restates_diff` and `no_why`, each a score in 0..1 and a flag.
//!
//! Pure functions of their input: no model, no network, no I/O, the same answer for the same
//! text. `docs/quality.md` defines each signal, its word lists and thresholds, and why; the word
//! lists live in [`words`]. Every signal reads at most [`words::MAX_TEXT_BYTES`] of a rationale and
//! [`MAX_DIFF_LINES`] lines of each side of a diff, so a 100 KB paste or a 10,000-line unit costs
//! bounded work.
//!
//! Use [`signals`] for all three at once (`restates_diff` only when the pair's texts are known), or
//! [`generic`], [`no_why`] and [`restates_diff`] one by one.

pub mod duplicates;
pub mod typing;
pub mod words;

use std::collections::HashSet;

use words::{bounded, latin_share};

/// One signal: how strongly it holds (0 = not at all, 1 = surely) and whether that is enough to
/// flag the rationale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signal {
    pub score: f64,
    pub flag: bool,
}

/// The signals of one rationale. `restates_diff` is `None` when the pair's texts were not given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signals {
    pub generic: Signal,
    pub restates_diff: Option<Signal>,
    pub no_why: Signal,
}

impl Signals {
    /// The names of the flags that are set, in a fixed order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.generic.flag {
            flags.push("generic");
        }
        if self.restates_diff.is_some_and(|signal| signal.flag) {
            flags.push("restates_diff");
        }
        if self.no_why.flag {
            flags.push("no_why");
        }
        flags
    }
}

/// Every signal of one pair, as the journal's `rationale` record carries it under `quality`, as
/// `rationale.record` answers it and as exports carry it (`docs/quality.md`, `docs/journal.md`).
/// Scores are rounded to two decimals; what was not measured is `null`. Keys are written in
/// alphabetical order, as `rationale quality --json` writes them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Quality {
    /// The compose time of the rationale in milliseconds: sent by the editor, or for a
    /// why-comment the time from the comment's first to its last keystroke.
    #[serde(default)]
    pub compose_ms: Option<u64>,
    /// The id of an earlier pair whose rationale this one nearly repeats ([`duplicates`]).
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// Seconds spent editing the change: the gaps between its edits, each capped at 60 s.
    #[serde(default)]
    pub edit_seconds: Option<f64>,
    /// The flags set, in the order `generic`, `restates_diff`, `no_why`, `duplicate`.
    #[serde(default)]
    pub flags: Vec<String>,
    pub generic: f64,
    /// The most characters one edit of the change inserted.
    #[serde(default)]
    pub largest_insert: Option<u64>,
    pub no_why: f64,
    #[serde(default)]
    pub restates_diff: Option<f64>,
    /// The share of the change's inserted characters that arrived as typing.
    #[serde(default)]
    pub typed_share: Option<f64>,
}

impl Quality {
    /// The text signals of `signals`, with `duplicate_of` (which adds the `duplicate` flag); the
    /// measures of time and typing are left unknown for the caller to fill in.
    pub fn new(signals: &Signals, duplicate_of: Option<String>) -> Self {
        let mut flags: Vec<String> = signals.flags().into_iter().map(str::to_owned).collect();
        if duplicate_of.is_some() {
            flags.push("duplicate".to_owned());
        }
        Quality {
            flags,
            generic: round2(signals.generic.score),
            no_why: round2(signals.no_why.score),
            restates_diff: signals.restates_diff.map(|signal| round2(signal.score)),
            duplicate_of,
            ..Quality::default()
        }
    }

    /// Whether the flag named `name` (`generic`, `restates_diff`, `no_why`, `duplicate`) is set.
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|flag| flag == name)
    }

    /// With the measures of the change's edits: `typed_share` (unknown when nothing was
    /// inserted), `largest_insert` and `edit_seconds` (unknown without an edit).
    pub fn with_typing(mut self, typing: &typing::Typing) -> Self {
        self.typed_share = typing.typed_share().map(round2);
        if !typing.is_empty() {
            self.largest_insert = Some(typing.largest);
            self.edit_seconds = Some(round2(typing.editing.as_secs_f64()));
        }
        self
    }

    /// Whether the rationale earns the nudge: a flag that says its text does not explain
    /// ([`NUDGE_FLAGS`]).
    pub fn earns_nudge(&self) -> bool {
        NUDGE_FLAGS.iter().any(|flag| self.has_flag(flag))
    }
}

/// The flags that earn a rationale one nudge before it is recorded (`docs/quality.md`): those
/// that say its text does not explain. A duplicate does not: the same reason can explain two
/// changes, and the hint would not help.
pub const NUDGE_FLAGS: [&str; 3] = ["generic", "restates_diff", "no_why"];

/// The one-line hint a nudged rationale comes back with, in the server so that every editor says
/// it in the same words.
pub const HINT: &str = "Say why: what was wrong, or who needs this?";

/// The names a flag can have, in the order they are listed.
pub const FLAGS: [&str; 4] = ["generic", "restates_diff", "no_why", "duplicate"];

/// `value` rounded to two decimals, as every score is written: more digits would claim a
/// precision the rules do not have.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The text of a unit before and after its change.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub before: &'a str,
    pub after: &'a str,
}

/// All the signals of `rationale`; `restates_diff` only when `change` is given.
pub fn signals(rationale: &str, change: Option<Change<'_>>) -> Signals {
    Signals {
        generic: generic(rationale),
        restates_diff: change.map(|change| restates_diff(rationale, change)),
        no_why: no_why(rationale),
    }
}

/// Fewer words than this and a rationale is `generic` whatever they are.
pub const GENERIC_MIN_WORDS: usize = 3;

/// `generic`: the rationale says nothing specific. Flagged when it has fewer than
/// [`GENERIC_MIN_WORDS`] words, or (for text mostly in the Latin script) when every word is a
/// stopword or filler ("fix", "update", "wip", "see above", "n/a"). Numbers, commit hashes and
/// issue numbers are noise and do not count as words. The score is 1 for a flagged rationale made
/// only of filler, 0.8 for one that is only short, and `1 / (1 + content words)` otherwise.
pub fn generic(rationale: &str) -> Signal {
    let text = bounded(rationale);
    let words: Vec<String> = words::words(text).into_iter().filter(|word| !is_noise(word)).collect();
    let content = if latin_share(text) >= 0.5 {
        words.iter().filter(|word| !words::is_stopword(word) && !words::is_filler(word)).count()
    } else {
        // The lists are English: every word of another script counts as content.
        words.len()
    };
    if content == 0 {
        Signal { score: 1.0, flag: true }
    } else if words.len() < GENERIC_MIN_WORDS {
        Signal { score: 0.8, flag: true }
    } else {
        Signal { score: 1.0 / (1.0 + content as f64), flag: false }
    }
}

/// A number, or a commit hash (seven or more hex digits with at least one digit).
fn is_noise(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
        || (word.len() >= 7
            && word.bytes().all(|b| b.is_ascii_hexdigit())
            && word.bytes().any(|b| b.is_ascii_digit()))
}

/// `no_why` is flagged at or above this score.
pub const NO_WHY_THRESHOLD: f64 = 0.75;

/// `no_why`: the rationale states no reason, purpose or problem. The score starts at 1 and each
/// sign of a why multiplies it down: a second line of text ×0.5 (and ×0.5 again from the fourth),
/// an issue reference or link ×0.3, each distinct why word ×0.4 (at most three), a purpose clause
/// ("to avoid", "to make") ×0.4, a topic whose purpose goes without saying (a version, the docs,
/// the tests, a typo) or a version number ×0.6. Flagged at [`NO_WHY_THRESHOLD`] or above, that is
/// when no sign at all was found. Text mostly in another script than Latin gets 0.5 and no flag:
/// the lists cannot read it, and a false nag costs more than a missed one. An empty rationale
/// scores 1.
pub fn no_why(rationale: &str) -> Signal {
    let text = bounded(rationale);
    if latin_share(text) < 0.5 {
        return Signal { score: 0.5, flag: false };
    }
    let lines: Vec<&str> =
        text.lines().map(str::trim).filter(|line| !line.is_empty() && !is_trailer(line)).collect();
    let mut score: f64 = 1.0;
    if lines.len() >= 2 {
        score *= 0.5;
    }
    if lines.len() >= 4 {
        score *= 0.5;
    }
    if lines.iter().any(|line| has_reference(line)) {
        score *= 0.3;
    }
    let words: Vec<String> = lines.iter().flat_map(|line| words::words(line)).collect();
    let mut cues: Vec<&str> =
        words.iter().map(String::as_str).filter(|word| words::is_why_cue(word)).collect();
    cues.sort_unstable();
    cues.dedup();
    score *= 0.4f64.powi(cues.len().min(3) as i32);
    if words.windows(2).any(|pair| pair[0] == "to" && words::is_purpose_verb(&pair[1])) {
        score *= 0.4;
    }
    if words.iter().any(|word| words::is_self_explaining_topic(word))
        || lines.iter().any(|line| has_version(line))
    {
        score *= 0.6;
    }
    Signal { score, flag: score >= NO_WHY_THRESHOLD }
}

/// A line a tool appends to a commit message, which says nothing about the change.
fn is_trailer(line: &str) -> bool {
    const TRAILERS: [&str; 6] =
        ["signed-off-by", "git-svn-id", "co-authored-by", "reviewed-by", "change-id", "cherry picked"];
    TRAILERS
        .iter()
        .any(|trailer| line.get(..trailer.len()).is_some_and(|head| head.eq_ignore_ascii_case(trailer)))
}

/// An issue or pull request (`#123`, `gh-123`, `ABC-123`) or a link: the reason lives there.
fn has_reference(line: &str) -> bool {
    let bytes = line.as_bytes();
    if line.contains("http://") || line.contains("https://") {
        return true;
    }
    for (i, &b) in bytes.iter().enumerate() {
        let digit_follows = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if b == b'#' && digit_follows {
            return true;
        }
        if b == b'-' && digit_follows && i > 0 {
            // The word before the dash: `gh`, or a tracker's upper-case key such as `JIRA`.
            let start = bytes[..i].iter().rposition(|c| !c.is_ascii_alphanumeric()).map_or(0, |p| p + 1);
            let key = &line[start..i];
            let upper_key = key.len() >= 2
                && key.as_bytes()[0].is_ascii_uppercase()
                && key.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if key.eq_ignore_ascii_case("gh") || upper_key {
                return true;
            }
        }
    }
    false
}

/// A version number: digits, a dot, digits (`1.7.8`, `4.0`).
fn has_version(line: &str) -> bool {
    line.as_bytes().windows(3).any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
}

/// At most this many lines of each side of a change are read by `restates_diff`: a 10,000-line
/// unit costs no more than one of this size, and the words a rationale could restate are the
/// change's, which rarely spread over more.
pub const MAX_DIFF_LINES: usize = 5_000;
/// At most this many distinct words of the diff are kept.
pub const MAX_DIFF_WORDS: usize = 20_000;
/// `restates_diff` is flagged at or above this score.
pub const RESTATES_DIFF_THRESHOLD: f64 = 0.6;

/// `restates_diff`: most of the rationale's content words are identifiers, literals or keywords
/// of the lines the change touched, and it gives no reason. The changed lines are those of one side
/// that the other side does not have (compared whole, after trimming); their words are the diff's
/// words. Content words are the rationale's words less stopwords and words that only say code
/// changed ("changed", "replace", "return", "line"). The score is the share of content words found
/// in the diff's words, halved when `no_why` finds a why; flagged at
/// [`RESTATES_DIFF_THRESHOLD`] or above. No content words, or an unchanged unit, score 0.
pub fn restates_diff(rationale: &str, change: Change<'_>) -> Signal {
    let text = bounded(rationale);
    let content: Vec<String> =
        words::words(text).into_iter().filter(|word| !words::is_change_verb(word)).collect();
    if content.is_empty() {
        return Signal { score: 0.0, flag: false };
    }
    let diff = diff_words(change);
    if diff.is_empty() {
        return Signal { score: 0.0, flag: false };
    }
    let found = content.iter().filter(|word| diff.contains(word.as_str())).count();
    let mut score = found as f64 / content.len() as f64;
    if !no_why(text).flag {
        score *= 0.5;
    }
    Signal { score, flag: score >= RESTATES_DIFF_THRESHOLD }
}

/// The distinct non-blank lines of one side of a change, trimmed, at most [`MAX_DIFF_LINES`].
fn diff_side(text: &str) -> HashSet<&str> {
    text.lines().take(MAX_DIFF_LINES).map(str::trim).filter(|line| !line.is_empty()).collect()
}

/// The words of the lines that one side of `change` has and the other has not.
fn diff_words(change: Change<'_>) -> HashSet<String> {
    let (before, after) = (diff_side(change.before), diff_side(change.after));
    let mut words = HashSet::new();
    for line in before.symmetric_difference(&after) {
        for word in words::words(bounded(line)) {
            if words.len() >= MAX_DIFF_WORDS {
                return words;
            }
            words.insert(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn flags(text: &str) -> Vec<&'static str> {
        signals(text, None).flags()
    }

    #[test]
    fn generic_flags_filler_and_very_short_text() {
        for text in [
            "fix",
            "update",
            "WIP",
            "changes",
            "refactor",
            "misc",
            "asdf",
            "see above",
            "same as before",
            "n/a",
            "Fixed it.",
            "minor changes",
            "fix 1a2b3c4d5e",
            "update #123",
            "Handle timeouts",
        ] {
            assert!(generic(text).flag, "{text:?} should be generic");
        }
        assert_eq!(generic("wip").score, 1.0);
    }

    #[test]
    fn generic_passes_text_that_says_something() {
        for text in [
            "The parser dropped the last token when the file had no trailing newline.",
            "Cache the compiled regex so that each request does not rebuild it",
            "修复了解析器的错误",
            "Fix typo in parser",
        ] {
            assert!(!generic(text).flag, "{text:?} should not be generic");
        }
    }

    #[test]
    fn no_why_flags_a_bare_what() {
        for text in [
            "Add retry loop to fetch_user",
            "Remove the Windows branch from spawn",
            "Move helpers into utils",
        ] {
            let signal = no_why(text);
            assert!(signal.flag && signal.score == 1.0, "{text:?} should be no_why: {signal:?}");
        }
        assert!(no_why("").flag);
    }

    #[test]
    fn no_why_passes_a_reason_a_purpose_a_problem_or_a_reference() {
        for text in [
            "Add retry loop because the API drops one request in a hundred",
            "Add retry loop to avoid losing requests",
            "Fix crash on empty input",
            "Remove the Windows branch (#4521)",
            "Remove the Windows branch, see gh-77",
            "Remove the Windows branch\n\nNobody builds there since the CI moved off it.",
            "Upgrade to Byte Buddy 1.7.8",
            "Add tests for the parser",
        ] {
            let signal = no_why(text);
            assert!(!signal.flag, "{text:?} should state a why: {signal:?}");
        }
    }

    #[test]
    fn no_why_ignores_trailers_but_not_a_real_second_line() {
        assert!(no_why("Move helpers into utils\n\nSigned-off-by: A Person <a@example.com>").flag);
        assert!(!no_why("Move helpers into utils\n\nThey were copied in three places.").flag);
    }

    #[test]
    fn no_why_stays_quiet_on_scripts_its_lists_cannot_read() {
        for text in ["把函数移到工具模块", "הזזתי את הפונקציה", "関数を移動した"]
        {
            let signal = no_why(text);
            assert!(!signal.flag && signal.score == 0.5, "{text:?}: {signal:?}");
        }
        // Emoji have no letters: the text is judged as Latin, and it gives no reason.
        assert!(no_why("🎉🎉🎉").flag);
    }

    const BEFORE: &str = "def total(xs):\n    return sum(xs)\n";
    const AFTER: &str = "def total(xs):\n    return sum(xs) + 1\n";

    #[test]
    fn restates_diff_flags_a_rationale_made_of_the_diff() {
        let change = Change { before: BEFORE, after: AFTER };
        for text in ["changed return sum(xs) to return sum(xs) + 1", "sum xs plus 1"] {
            let signal = restates_diff(text, change);
            assert!(signal.flag, "{text:?}: {signal:?}");
        }
    }

    #[test]
    fn restates_diff_passes_a_reason_or_words_the_diff_lacks() {
        let change = Change { before: BEFORE, after: AFTER };
        for text in [
            "The caller counts from one, so the total must include the header row",
            "changed return sum(xs) to return sum(xs) + 1 because the header row was missing",
            "fix",
        ] {
            let signal = restates_diff(text, change);
            assert!(!signal.flag, "{text:?}: {signal:?}");
        }
        // An unchanged unit has no diff to restate.
        assert_eq!(restates_diff("sum xs", Change { before: BEFORE, after: BEFORE }).score, 0.0);
    }

    #[test]
    fn restates_diff_on_a_10000_line_unit_is_bounded() {
        let before: String = (0..10_000).map(|i| format!("    let value_{i} = compute({i});\n")).collect();
        let after: String = (0..10_000).map(|i| format!("    let value_{i} = compute({i}) + 1;\n")).collect();
        let start = Instant::now();
        let signal = restates_diff("value_3 compute 3 plus 1", Change { before: &before, after: &after });
        assert!(signal.flag, "{signal:?}");
        // Words past the first MAX_DIFF_LINES lines are not read.
        assert!(!restates_diff("value_9999", Change { before: &before, after: &after }).flag);
        // Generous for a loaded debug build; the work is a few milliseconds.
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn bad_input_gets_signals_without_a_panic_in_bounded_time() {
        let big = "word ".repeat(20_480); // 100 KB
        let mixed = "Fix 修复 שגיאה 🎉 in parseur façade — Ошибка";
        let start = Instant::now();
        for text in [
            "",
            "   \n\t ",
            &big,
            "修复错误",
            "תיקון באג בפרסר",
            "😀😀 🚀",
            mixed,
            "\u{202e}evil\u{202c}",
            "\0\0",
        ] {
            let all = signals(text, Some(Change { before: text, after: "x" }));
            for signal in [all.generic, all.no_why, all.restates_diff.unwrap()] {
                assert!((0.0..=1.0).contains(&signal.score), "{text:?}: {signal:?}");
            }
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(flags(""), ["generic", "no_why"]);
        assert!(!flags(mixed).contains(&"generic"));
    }

    #[test]
    fn has_reference_and_version_patterns() {
        assert!(has_reference("Closes gh-2943"));
        assert!(has_reference("see JIRA-12"));
        assert!(has_reference("(#1687)"));
        assert!(has_reference("https://example.com/x"));
        assert!(!has_reference("use utf-8 everywhere"));
        assert!(!has_reference("a well-known issue-free path"));
        assert!(has_version("Update to Okio 1.1.0."));
        assert!(!has_version("version one"));
    }
}
