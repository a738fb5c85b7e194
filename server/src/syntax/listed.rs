//! The language table ([`LANGUAGES`]) against every place outside the server that lists
//! languages, so that adding a language and forgetting one of them fails here: the table of
//! `docs/languages.md` (names, extensions, editor language ids), the editors' lists of language
//! ids (VS Code's activation events and `LANGUAGES`, the Neovim plugin's filetypes, all three
//! generated from the table by `crate::generated`), the lists of
//! `docs/export.md`, and every prose list of languages in the docs and the editors.

use std::path::{Path, PathBuf};

use super::LANGUAGES;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repository().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The words between backticks on `line`.
fn quoted(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// The rows of the table of docs/languages.md: the journal's name, the editor's language ids, the
/// extensions (without the dot).
fn documented() -> Vec<(String, Vec<String>, Vec<String>)> {
    let text = read("docs/languages.md");
    let mut lines = text.lines().skip_while(|line| !line.starts_with("| language (journal) |")).skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = quoted(cells[1]).concat();
        let ids = quoted(cells[2]).into_iter().map(str::to_owned).collect();
        let extensions = quoted(cells[3]).into_iter().map(|e| e.trim_start_matches('.').to_owned()).collect();
        rows.push((name, ids, extensions));
    }
    assert!(!rows.is_empty(), "docs/languages.md has no table of languages");
    rows
}

#[test]
fn the_docs_table_is_the_servers_table() {
    let rows = documented();
    let names: Vec<&str> = rows.iter().map(|(name, _, _)| name.as_str()).collect();
    let table: Vec<&str> = LANGUAGES.iter().map(|language| language.name).collect();
    assert_eq!(names, table, "docs/languages.md lists other languages than the server's table");
    for ((name, _, extensions), language) in rows.iter().zip(LANGUAGES) {
        assert_eq!(extensions, language.extensions, "docs/languages.md: the extensions of {name}");
    }
}

#[test]
fn every_editor_starts_the_server_for_every_language() {
    let mut ids: Vec<String> = documented().into_iter().flat_map(|(_, ids, _)| ids).collect();
    ids.sort();
    // Each place, and how it names an id: the ids it lists are compared with the table's.
    // The editors' lists are generated from the server's table (`crate::generated`); this holds
    // the generated files to the docs' table too.
    let places: [(&str, &str, Ids); 3] = [
        ("editors/vscode/package.json", "\"onLanguage:", |line| {
            line.split('"').filter_map(|word| word.strip_prefix("onLanguage:")).map(str::to_owned).collect()
        }),
        ("editors/vscode/src/generated.ts", "export const LANGUAGES", |line| single_quoted(line)),
        ("editors/nvim/lua/rationale/generated.lua", "filetypes = {", |line| single_quoted(line)),
    ];
    for (path, marker, listed) in places {
        let text = read(path);
        let mut found: Vec<String> =
            text.lines().filter(|line| line.trim_start().starts_with(marker)).flat_map(listed).collect();
        found.sort();
        assert_eq!(
            found, ids,
            "{path} starts the server for other language ids than docs/languages.md lists"
        );
    }
}

/// How a place names the language ids on one of its lines.
type Ids = fn(&str) -> Vec<String>;

fn single_quoted(line: &str) -> Vec<String> {
    line.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn every_list_of_languages_in_the_export_docs_names_them_all() {
    let text = read("docs/export.md");
    let lists: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.starts_with('|') && quoted(line).iter().any(|word| word.eq_ignore_ascii_case("python"))
        })
        .collect();
    assert!(lists.len() >= 3, "docs/export.md lists languages in fewer places than it did");
    for line in lists {
        let words: Vec<String> = quoted(line).iter().map(|word| word.to_ascii_lowercase()).collect();
        for language in LANGUAGES {
            assert!(
                words.iter().any(|word| word == language.name),
                "docs/export.md does not name {language:?} in: {line}"
            );
        }
    }
    // The CommitPack format's `lang` column spells each as the table's `linguist` does.
    let lang =
        text.lines().find(|line| line.starts_with("| `lang` |")).expect("docs/export.md: the `lang` row");
    let spelled: Vec<&str> = LANGUAGES.iter().map(|language| language.linguist).collect();
    assert_eq!(quoted(lang)[1..], spelled[..], "docs/export.md: the `lang` column's names");
}

/// A list of languages in prose starts with Python and goes on with JavaScript ("Python,
/// JavaScript, TypeScript, Go or Rust"): each such list in the docs and the editors' words names
/// every language of the table (TSX is TypeScript's, to a reader), and a paragraph that names
/// `.py` names every extension.
#[test]
fn every_list_of_languages_in_words_names_them_all() {
    let mut files = vec![PathBuf::from("README.md"), PathBuf::from("editors/nvim/doc/rationale.txt")];
    for folder in
        ["docs", "editors/vscode", "editors/vscode/src", "editors/vscode/src/review", "editors/nvim"]
    {
        for entry in std::fs::read_dir(repository().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let wanted = ["md", "ts", "json"].iter().any(|ext| path.extension().is_some_and(|e| e == *ext));
            if wanted && !path.ends_with("package-lock.json") {
                files.push(path.strip_prefix(repository()).unwrap().to_path_buf());
            }
        }
    }
    for folder in ["editors/nvim/lua/rationale", "editors/nvim/plugin", "editors/nvim/lsp"] {
        for entry in std::fs::read_dir(repository().join(folder)).unwrap() {
            files.push(entry.unwrap().path().strip_prefix(repository()).unwrap().to_path_buf());
        }
    }
    let spoken: Vec<&str> = LANGUAGES
        .iter()
        .map(|language| match language.name {
            "python" => "Python",
            "javascript" => "JavaScript",
            "typescript" | "tsx" => "TypeScript",
            "go" => "Go",
            "rust" => "Rust",
            other => panic!("say how a reader names {other} in this test"),
        })
        .collect();
    let extensions: Vec<String> =
        LANGUAGES.iter().flat_map(|language| language.extensions).map(|e| format!("`.{e}`")).collect();
    let mut lists = 0;
    for path in files {
        let text = read(path.to_str().unwrap());
        // A paragraph that names Python's extension lists the extensions Rationale reads.
        for paragraph in text.split("\n\n").filter(|paragraph| paragraph.contains("`.py`")) {
            for extension in &extensions {
                assert!(
                    paragraph.contains(extension.as_str()),
                    "{}: a list of extensions without {extension}: {paragraph}",
                    path.display()
                );
            }
        }
        // Whitespace collapsed, comment leaders and all, so that a list broken over lines reads whole.
        let flat =
            text.split_whitespace().filter(|w| !["//", "--", "---", "#"].contains(w)).collect::<Vec<_>>();
        let flat = flat.join(" ");
        for (at, _) in flat.match_indices("Python") {
            let rest = &flat[at + "Python".len()..];
            let list =
                [", JavaScript", " and JavaScript", " or JavaScript"].iter().any(|s| rest.starts_with(s));
            if !list {
                continue;
            }
            lists += 1;
            let words: Vec<&str> =
                rest.split(|c: char| !c.is_alphanumeric()).take(12).filter(|word| !word.is_empty()).collect();
            for name in &spoken {
                assert!(
                    *name == "Python" || words.contains(name),
                    "{}: a list of languages without {name}: Python{}",
                    path.display(),
                    rest.chars().take(80).collect::<String>()
                );
            }
        }
    }
    assert!(lists >= 3, "the lists of languages were not found where they are written");
}
