//! The language table and incremental parsing with tree-sitter.
//!
//! Adding a language is one folder under `grammars/` (its `units.scm`) and one entry in
//! [`LANGUAGES`]; a query file can inherit another language's ([`queries`]).

#[cfg(test)]
mod listed;
pub mod queries;

use std::sync::OnceLock;

use ropey::Rope;
use tree_sitter::{InputEdit, Parser, Query, Tree};

/// A language Rationale tracks.
pub struct Language {
    /// The name the journal records (`language` fields).
    pub name: &'static str,
    /// The name GitHub Linguist gives it, which CommitPack's `lang` field uses.
    pub linguist: &'static str,
    /// File extensions, without the dot.
    pub extensions: &'static [&'static str],
    /// The editors' language ids of its documents (VS Code's and Neovim's agree), for which the
    /// editor plugins start the server (their lists are generated from this table, see
    /// [`crate::generated`]); the server itself goes by the extension.
    pub editor_languages: &'static [&'static str],
    grammar: fn() -> tree_sitter::Language,
    /// The source of `grammars/<name>/units.scm`, the query that defines the language's units,
    /// as written (what it inherits is written in by [`Language::units_source`]).
    pub units: &'static str,
    /// What joins the names of nested units into a qualified name: `.`, or `::` for Rust
    /// (`Cart::total`), as a reader of the language writes a path.
    pub separator: &'static str,
    /// The source of `grammars/<name>/comments.scm`, the query that finds comments (for
    /// why-comments).
    pub comments: &'static str,
    /// How a line comment starts (the why-comment `rationale.explain` inserts).
    pub line_comment: &'static str,
}

pub static LANGUAGES: &[Language] = TABLE;

/// The table behind [`LANGUAGES`]: a constant, so that [`UNITS_QUERIES`] can have one slot per
/// entry (a `OnceLock` cannot live in the entries themselves: a static may not borrow interior
/// mutable temporaries).
const TABLE: &[Language] = &[
    Language {
        name: "python",
        linguist: "Python",
        extensions: &["py", "pyi"],
        editor_languages: &["python"],
        grammar: || tree_sitter_python::LANGUAGE.into(),
        units: include_str!("../../../grammars/python/units.scm"),
        separator: ".",
        comments: include_str!("../../../grammars/python/comments.scm"),
        line_comment: "#",
    },
    Language {
        name: "javascript",
        linguist: "JavaScript",
        extensions: &["js", "mjs", "cjs", "jsx"],
        editor_languages: &["javascript", "javascriptreact"],
        grammar: || tree_sitter_javascript::LANGUAGE.into(),
        units: include_str!("../../../grammars/javascript/units.scm"),
        separator: ".",
        comments: include_str!("../../../grammars/javascript/comments.scm"),
        line_comment: "//",
    },
    Language {
        name: "typescript",
        linguist: "TypeScript",
        extensions: &["ts", "mts", "cts"],
        editor_languages: &["typescript"],
        grammar: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        units: include_str!("../../../grammars/typescript/units.scm"),
        separator: ".",
        comments: include_str!("../../../grammars/typescript/comments.scm"),
        line_comment: "//",
    },
    Language {
        name: "tsx",
        linguist: "TSX",
        extensions: &["tsx"],
        editor_languages: &["typescriptreact"],
        grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
        units: include_str!("../../../grammars/tsx/units.scm"),
        separator: ".",
        comments: include_str!("../../../grammars/tsx/comments.scm"),
        line_comment: "//",
    },
    Language {
        name: "go",
        linguist: "Go",
        extensions: &["go"],
        editor_languages: &["go"],
        grammar: || tree_sitter_go::LANGUAGE.into(),
        units: include_str!("../../../grammars/go/units.scm"),
        separator: ".",
        comments: include_str!("../../../grammars/go/comments.scm"),
        line_comment: "//",
    },
    Language {
        name: "rust",
        linguist: "Rust",
        extensions: &["rs"],
        editor_languages: &["rust"],
        grammar: || tree_sitter_rust::LANGUAGE.into(),
        units: include_str!("../../../grammars/rust/units.scm"),
        separator: "::",
        comments: include_str!("../../../grammars/rust/comments.scm"),
        line_comment: "//",
    },
];

/// Each language's units query, by its position in the table; resolved and compiled on first use.
static UNITS_QUERIES: [OnceLock<Loaded>; TABLE.len()] = [const { OnceLock::new() }; TABLE.len()];
/// Each language's comments query, likewise.
static COMMENTS_QUERIES: [OnceLock<Loaded>; TABLE.len()] = [const { OnceLock::new() }; TABLE.len()];

/// A query file as loaded: its source with what it inherits written in ([`queries::resolve`]),
/// and the query compiled from it, `None` when it does not resolve or compile (a bug the tests
/// catch; at run time the language's documents then have no unit but the module).
struct Loaded {
    source: String,
    query: Option<Query>,
}

impl Language {
    pub fn grammar(&self) -> tree_sitter::Language {
        (self.grammar)()
    }

    /// The compiled `units.scm` of this language, or `None` when it does not compile.
    pub fn units_query(&self) -> Option<&'static Query> {
        self.load(&UNITS_QUERIES, |language| language.units, "units")?.query.as_ref()
    }

    /// The source [`Language::units_query`] was compiled from: `units.scm` with what it inherits
    /// written in, the text its patterns' byte offsets count in.
    pub fn units_source(&self) -> &'static str {
        self.load(&UNITS_QUERIES, |language| language.units, "units").map_or("", |loaded| &loaded.source)
    }

    /// The compiled `comments.scm` of this language, or `None` when it does not compile.
    pub fn comments_query(&self) -> Option<&'static Query> {
        self.load(&COMMENTS_QUERIES, |language| language.comments, "comments")?.query.as_ref()
    }

    fn load(
        &self,
        slots: &'static [OnceLock<Loaded>; TABLE.len()],
        file: fn(&Language) -> &'static str,
        what: &str,
    ) -> Option<&'static Loaded> {
        let index = LANGUAGES.iter().position(|language| std::ptr::eq(language, self))?;
        Some(slots[index].get_or_init(|| {
            let source = match queries::resolve(self.name, &|name| language_named(name).map(file)) {
                Ok(source) => source,
                Err(err) => {
                    tracing::error!("the {} {what} query: {err}", self.name);
                    return Loaded { source: String::new(), query: None };
                }
            };
            let query = match Query::new(&self.grammar(), &source) {
                Ok(query) => Some(query),
                Err(err) => {
                    tracing::error!("the {} {what} query does not compile: {err}", self.name);
                    None
                }
            };
            Loaded { source, query }
        }))
    }
}

impl std::fmt::Debug for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The language of a file, by its extension.
pub fn language_for_path(path: &std::path::Path) -> Option<&'static Language> {
    let extension = path.extension()?.to_str()?;
    LANGUAGES.iter().find(|language| language.extensions.contains(&extension))
}

pub fn language_named(name: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|language| language.name == name)
}

/// Documents larger than this are tracked as text without a tree: parsing them would stall every
/// request, and no one writes functions in them by hand.
pub const MAX_PARSED_BYTES: usize = 8 * 1024 * 1024;

/// A document's parser and tree. The tree catches up with the document's queued edits (see
/// `text::EditQueue`) in one incremental reparse when someone needs it.
pub struct Syntax {
    parser: Parser,
    tree: Option<Tree>,
    /// The tree must be parsed from scratch (first parse, or after a whole replacement).
    fresh: bool,
    /// The tree before the last reparse, with that reparse's edits applied; `None` after a parse
    /// from scratch.
    previous: Option<Tree>,
}

impl Syntax {
    /// `None` when the grammar cannot be loaded (an ABI mismatch), so the document is text alone.
    pub fn new(language: &Language) -> Option<Self> {
        let mut parser = Parser::new();
        if let Err(err) = parser.set_language(&language.grammar()) {
            tracing::error!("cannot load the {} grammar: {err}", language.name);
            return None;
        }
        Some(Self { parser, tree: None, fresh: true, previous: None })
    }

    /// The text was edited (the edit is queued with the document).
    pub fn edited(&mut self) {
        // Freed here, on the way of the first keystroke after an answer, not in the way of the
        // answer (freeing a tree costs a good part of a reparse).
        self.previous = None;
    }

    /// Forgets the tree; the next [`Syntax::tree`] parses from scratch.
    pub fn reset(&mut self) {
        self.previous = None;
        self.tree = None;
        self.fresh = true;
    }

    /// The tree of `rope` (see [`Syntax::tree`]) and the tree its last reparse started from,
    /// edited to the text it parsed (`None` when it parsed from scratch), to compare the two where
    /// it matters: `Tree::changed_ranges` compares them whole, which costs as much as the
    /// reparse when all the file sits in one function.
    pub fn trees(
        &mut self,
        rope: &Rope,
        edits: impl IntoIterator<Item = InputEdit>,
    ) -> Option<(&Tree, Option<&Tree>)> {
        self.tree(rope, edits)?;
        Some((self.tree.as_ref()?, self.previous.as_ref()))
    }

    /// Whether the tree must be parsed from scratch.
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// The tree of `rope`, which must be the text `edits` (those not parsed yet, oldest first)
    /// lead to from the last tree; a whole replacement is no edit but a [`Syntax::reset`].
    pub fn tree(&mut self, rope: &Rope, edits: impl IntoIterator<Item = InputEdit>) -> Option<&Tree> {
        if rope.len_bytes() > MAX_PARSED_BYTES {
            self.tree = None;
            self.fresh = true;
            return None;
        }
        let mut edits = edits.into_iter().peekable();
        if self.fresh || edits.peek().is_some() {
            let mut old = if self.fresh { None } else { self.tree.take() };
            if let Some(tree) = &mut old {
                for edit in edits {
                    tree.edit(&edit);
                }
            }
            self.tree = parse_rope(&mut self.parser, rope, old.as_ref());
            self.previous = old;
            self.fresh = false;
        }
        self.tree.as_ref()
    }
}

/// Makes glibc's malloc free small blocks as they are freed, not all at once later.
///
/// A reparse frees thousands of small nodes. glibc keeps such blocks aside ("fastbins") and
/// sorts all of them out at the next allocation of a kilobyte or more, which comes in the middle
/// of the answer the reparse was for: a third of the extraction of one unit of express's
/// `response.js`. Without fastbins each block is merged back as it is freed. The server calls
/// this first thing, and so do the benchmarks before they time bare tree-sitter, so that the
/// floor and the server allocate alike. Elsewhere than glibc it does nothing.
pub fn free_small_blocks_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` changes one setting of the allocator; it is called before other threads
    // start.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
    }
}

/// Parses `rope` chunk by chunk, reusing `old` where it is still valid.
pub fn parse_rope(parser: &mut Parser, rope: &Rope, old: Option<&Tree>) -> Option<Tree> {
    let mut read = |byte: usize, _: tree_sitter::Point| -> &[u8] {
        if byte >= rope.len_bytes() {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    };
    parser.parse_with_options(&mut read, old, None)
}

/// The byte ranges of the tree's syntax errors (ERROR and MISSING nodes), outermost only.
pub fn error_ranges(tree: &Tree) -> Vec<std::ops::Range<usize>> {
    let mut errors = Vec::new();
    if !tree.root_node().has_error() {
        return errors;
    }
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let descend = if node.is_error() || node.is_missing() {
            errors.push(node.byte_range());
            false
        } else {
            node.has_error()
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return errors;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grammar_loads() {
        for language in LANGUAGES {
            let mut parser = Parser::new();
            parser.set_language(&language.grammar()).unwrap();
        }
    }

    #[test]
    fn languages_are_found_by_extension() {
        let found = |p: &str| language_for_path(std::path::Path::new(p)).map(|l| l.name);
        assert_eq!(found("a/b.py"), Some("python"));
        assert_eq!(found("types.pyi"), Some("python"));
        assert_eq!(found("x.cjs"), Some("javascript"));
        assert_eq!(found("x.jsx"), Some("javascript"));
        assert_eq!(found("api.ts"), Some("typescript"));
        assert_eq!(found("api.mts"), Some("typescript"));
        assert_eq!(found("api.cts"), Some("typescript"));
        assert_eq!(found("App.tsx"), Some("tsx"));
        assert_eq!(found("main.go"), Some("go"));
        assert_eq!(found("lib.rs"), Some("rust"));
        assert_eq!(found("README.md"), None);
        assert_eq!(found("Makefile"), None);
    }
}
