//! Each pair's quality as export and stats give it (`docs/quality.md`): the `quality` its record
//! carries, else the text signals computed here from the rationale and the unit before and after
//! (the measures of time and typing are then unknown); and `duplicate_of` found among the pairs
//! taken together, in export order, which replaces whatever the record says (the server compares
//! an author's rationales in one workspace; a data set's duplicates are across everything in it).

use std::collections::HashMap;

use super::Pair;
use crate::quality::duplicates::{shingles, Duplicates};
use crate::quality::{signals, Change, Quality};

/// The quality of `pair`, before duplicates are looked for.
pub fn of_pair(pair: &Pair) -> Quality {
    match &pair.recorded_quality {
        Some(quality) => quality.clone(),
        None => {
            let change = Change { before: &pair.record.before, after: &pair.record.after };
            Quality::new(&signals(pair.rationale(), Some(change)), None)
        }
    }
}

/// Finds each pair's earlier near duplicate among the pairs given to it so far.
#[derive(Default)]
pub struct DuplicateFinder {
    seen: Duplicates<String>,
    /// For each shingle set seen, the first pair that had it and what that pair repeats.
    exact: HashMap<Vec<u64>, (String, Option<String>)>,
}

impl DuplicateFinder {
    pub fn new() -> Self {
        Self { seen: Duplicates::new(), exact: HashMap::new() }
    }

    /// Takes the next pair (in export order), by its id and rationale, and sets its
    /// `duplicate_of` and `duplicate` flag.
    pub fn mark(&mut self, id: &str, rationale: &str, quality: &mut Quality) {
        let found = self.find(id, rationale);
        quality.flags.retain(|flag| flag != "duplicate");
        if found.is_some() {
            // `duplicate` is the last of the flags' fixed order.
            quality.flags.push("duplicate".to_owned());
        }
        quality.duplicate_of = found;
    }

    /// What [`Duplicates::add`] answers, without comparing again a rationale whose shingles are
    /// exactly an earlier one's (a sentence pasted under every change, which the index would
    /// otherwise compare with every earlier copy): it nearly repeats exactly what that one
    /// repeats, and that one too, so the earliest of them is that one's answer, or that one. It
    /// need not join the index: that one, earlier, stands for it.
    fn find(&mut self, id: &str, rationale: &str) -> Option<String> {
        let shingles = shingles(rationale);
        if shingles.is_empty() {
            return None;
        }
        if let Some((first, repeats)) = self.exact.get(&shingles) {
            return Some(repeats.clone().unwrap_or_else(|| first.clone()));
        }
        let found = self.seen.add(id.to_owned(), rationale);
        self.exact.insert(shingles, (id.to_owned(), found.clone()));
        found
    }
}

/// A flag that `export --exclude-flag` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Flag {
    Generic,
    #[value(name = "restates_diff")]
    RestatesDiff,
    #[value(name = "no_why")]
    NoWhy,
    Duplicate,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Generic => "generic",
            Flag::RestatesDiff => "restates_diff",
            Flag::NoWhy => "no_why",
            Flag::Duplicate => "duplicate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Explanation;
    use std::sync::Arc;

    fn pair(id: &str, text: &str, recorded: Option<Quality>) -> Pair {
        Pair {
            session: Arc::default(),
            id: id.into(),
            seq: 1,
            explained_at: String::new(),
            record: Explanation {
                text: Some(text.into()),
                before: "def f():\n    return 1\n".into(),
                after: "def f():\n    return 2\n".into(),
                ..Explanation::default()
            },
            recorded_quality: recorded,
        }
    }

    #[test]
    fn a_recorded_quality_is_kept_and_its_duplicate_replaced_in_export_order() {
        let recorded = Quality {
            duplicate_of: Some("elsewhere:3".into()),
            flags: vec!["no_why".into(), "duplicate".into()],
            typed_share: Some(0.5),
            ..Quality::default()
        };
        let mut finder = DuplicateFinder::new();
        let first = pair("s:1", "Return two so the caller's retry count matches the spec.", Some(recorded));
        let mut quality = of_pair(&first);
        finder.mark(&first.id, first.rationale(), &mut quality);
        assert_eq!((quality.duplicate_of.as_deref(), quality.typed_share), (None, Some(0.5)));
        assert_eq!(quality.flags, ["no_why"]);

        let second = pair("s:2", "return two so the caller's retry count matches the spec", None);
        let mut quality = of_pair(&second);
        assert_eq!(quality.typed_share, None, "computed: typing is not known");
        finder.mark(&second.id, second.rationale(), &mut quality);
        assert_eq!(quality.duplicate_of.as_deref(), Some("s:1"));
        assert_eq!(quality.flags.last().map(String::as_str), Some("duplicate"));
        assert!(quality.restates_diff.is_some());
    }

    #[test]
    fn an_exact_copy_repeats_what_its_first_copy_repeats_as_the_index_would_answer() {
        let original = "The cache kept stale entries after a reload, so readers saw old prices \
                        until the process restarted; clearing it on reload fixes that.";
        let near = original.replace("that.", "this.");
        let texts = [
            original.to_owned(),
            near.clone(),
            near.clone(),
            "Unrelated: the parser dropped a token.".into(),
            near,
        ];
        let mut finder = DuplicateFinder::new();
        let mut index = Duplicates::new();
        for (i, text) in texts.iter().enumerate() {
            let mut quality = Quality::default();
            finder.mark(&i.to_string(), text, &mut quality);
            assert_eq!(quality.duplicate_of, index.add(i.to_string(), text), "{i}");
        }
        let mut quality = Quality::default();
        finder.mark("9", "   ", &mut quality);
        assert_eq!(quality.duplicate_of, None);
    }
}
