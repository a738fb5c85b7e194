//! Query files that inherit others: a `units.scm` or `comments.scm` whose first line is
//! `; inherits: typescript` (several languages separated by commas, as helix writes it) stands
//! for the named languages' file of the same name, in that order, followed by its own patterns.
//!
//! [`resolve`] writes the inherited files in where the line was; it is given the way to find a
//! language's file, so that the server reads the files its table embeds and the test that loads
//! every `.scm` reads the folder `grammars/` as it stands.

/// Why a query file cannot be resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum InheritError {
    /// `; inherits:` names a language whose file the lookup does not know.
    Unknown { language: String, inherits: String },
    /// A language inherits itself, through the chain given (outermost first).
    Cycle(Vec<String>),
}

impl std::fmt::Display for InheritError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InheritError::Unknown { language, inherits } => {
                write!(f, "{language} inherits `{inherits}`, which has no such query file")
            }
            InheritError::Cycle(chain) => {
                write!(f, "query files inherit in a circle: {}", chain.join(" -> "))
            }
        }
    }
}

/// The languages `text` inherits, as its first line names them; none when it names none.
pub fn inherited(text: &str) -> Vec<&str> {
    let first = text.lines().next().unwrap_or("");
    let comment = first.trim_start().strip_prefix(';').map(|rest| rest.trim_start_matches(';').trim_start());
    match comment
        .and_then(|rest| rest.strip_prefix("inherits"))
        .and_then(|rest| rest.trim_start().strip_prefix(':'))
    {
        Some(names) => names.split(',').map(str::trim).filter(|name| !name.is_empty()).collect(),
        None => Vec::new(),
    }
}

/// The query file of `language` with what it inherits written in: the first line replaced by
/// each inherited language's resolved file (through `file`, which returns a language's file of
/// the same kind), in the order named. A file that inherits nothing is returned as it is.
pub fn resolve<'a>(language: &str, file: &dyn Fn(&str) -> Option<&'a str>) -> Result<String, InheritError> {
    let mut chain = Vec::new();
    resolve_in(language, file, &mut chain)
}

fn resolve_in<'a>(
    language: &str,
    file: &dyn Fn(&str) -> Option<&'a str>,
    chain: &mut Vec<String>,
) -> Result<String, InheritError> {
    if chain.iter().any(|seen| seen == language) {
        chain.push(language.to_owned());
        return Err(InheritError::Cycle(std::mem::take(chain)));
    }
    let Some(text) = file(language) else {
        let inheritor = chain.last().cloned().unwrap_or_default();
        return Err(InheritError::Unknown { language: inheritor, inherits: language.to_owned() });
    };
    let parents = inherited(text);
    if parents.is_empty() {
        return Ok(text.to_owned());
    }
    chain.push(language.to_owned());
    let mut resolved = String::new();
    for parent in parents {
        resolved.push_str(&resolve_in(parent, file, chain)?);
        if !resolved.ends_with('\n') {
            resolved.push('\n');
        }
    }
    chain.pop();
    // The inheriting file's own lines follow, its first line (the `; inherits:` comment) among
    // them: a comment, so the query compiles the same, and a reader of the whole sees the seam.
    resolved.push_str(text);
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(table: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| table.iter().find(|(language, _)| *language == name).map(|(_, text)| *text)
    }

    #[test]
    fn a_file_that_inherits_nothing_is_itself() {
        let table = [("a", "; Units of A.\n(x) @unit.function\n")];
        assert_eq!(resolve("a", &files(&table)).unwrap(), table[0].1);
    }

    #[test]
    fn inherited_files_come_first_in_the_order_named_and_recursively() {
        let table = [
            ("base", "(base)\n"),
            ("middle", "; inherits: base\n(middle)"),
            ("other", "(other)\n"),
            ("top", ";inherits: middle, other\n(top)\n"),
        ];
        assert_eq!(
            resolve("top", &files(&table)).unwrap(),
            "(base)\n; inherits: base\n(middle)\n(other)\n;inherits: middle, other\n(top)\n"
        );
    }

    #[test]
    fn only_the_first_line_inherits() {
        let table = [("a", "; Units of A.\n; inherits: b\n(a)\n")];
        assert_eq!(inherited(table[0].1), Vec::<&str>::new());
        assert_eq!(resolve("a", &files(&table)).unwrap(), table[0].1);
    }

    #[test]
    fn an_unknown_language_and_a_circle_are_errors_that_say_where() {
        let table = [("a", "; inherits: nowhere\n(a)\n")];
        let err = resolve("a", &files(&table)).unwrap_err();
        assert_eq!(err, InheritError::Unknown { language: "a".into(), inherits: "nowhere".into() });
        assert_eq!(err.to_string(), "a inherits `nowhere`, which has no such query file");

        let table = [("a", "; inherits: b\n"), ("b", "; inherits: a\n")];
        let err = resolve("a", &files(&table)).unwrap_err();
        assert_eq!(err.to_string(), "query files inherit in a circle: a -> b -> a");
    }

    #[test]
    fn every_language_loads_both_queries_and_tsx_has_typescripts_patterns() {
        for language in crate::syntax::LANGUAGES {
            assert!(language.units_query().is_some(), "{}: units.scm does not load", language.name);
            assert!(language.comments_query().is_some(), "{}: comments.scm does not load", language.name);
        }
        let typescript = crate::syntax::language_named("typescript").unwrap();
        let tsx = crate::syntax::language_named("tsx").unwrap();
        assert_eq!(inherited(tsx.units), ["typescript"]);
        assert!(tsx.units_source().starts_with(typescript.units));
        let count = |language: &crate::syntax::Language| language.units_query().unwrap().pattern_count();
        assert_eq!(count(tsx), count(typescript));
    }
}
