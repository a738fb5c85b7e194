//! The files generated from the server's tables, so that a setting ([`config::SETTINGS`]) and a
//! language ([`syntax::LANGUAGES`]) are described in one place:
//!
//! - `editors/vscode/package.json`: the server's settings in `contributes.configuration` and
//!   an `onLanguage` activation event per language (the rest of the file is the extension's own
//!   and is kept as it is, in its order);
//! - `editors/vscode/src/generated.ts`: the settings' names and the language ids, for the code;
//! - `editors/nvim/lua/rationale/generated.lua`: the same for the Neovim plugin, with each
//!   setting's type and limits, which its validation checks;
//! - `editors/nvim/doc/rationale.txt`: an entry per setting in `:help rationale-options` (its
//!   tag, what it does, the values it takes and its default), between the same markers as the
//!   docs' tables;
//! - `docs/configuration.md` and `docs/languages.md`: the tables between `<!-- generated -->`
//!   and `<!-- end generated -->`;
//! - `README.md`: the extensions column of the table of languages.
//!
//! `cargo run --release -p rationale --example generate` writes them; a test fails when a
//! committed file differs from what the tables say, and names that command.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::config::{DefaultValue, Kind, Setting, FILE_NAME, SETTINGS};
use crate::syntax::{Language, LANGUAGES};

/// The command that writes the generated files.
pub const COMMAND: &str = "cargo run --release -p rationale --example generate";

const PACKAGE_JSON: &str = "editors/vscode/package.json";
const VSCODE_MODULE: &str = "editors/vscode/src/generated.ts";
const NVIM_MODULE: &str = "editors/nvim/lua/rationale/generated.lua";
const NVIM_HELP: &str = "editors/nvim/doc/rationale.txt";
const CONFIGURATION_DOC: &str = "docs/configuration.md";
const LANGUAGES_DOC: &str = "docs/languages.md";
const README: &str = "README.md";

const BEGIN: &str = "<!-- generated";
const END: &str = "<!-- end generated -->";

/// Every generated file of the repository at `root` as the tables make it: its path (relative
/// to `root`) and its text. The files that are only partly generated are read to be completed.
pub fn files(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let read =
        |path: &str| std::fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"));
    Ok(vec![
        (PACKAGE_JSON.into(), package_json(&read(PACKAGE_JSON)?)?),
        (VSCODE_MODULE.into(), vscode_module()),
        (NVIM_MODULE.into(), nvim_module()),
        (NVIM_HELP.into(), splice(NVIM_HELP, &read(NVIM_HELP)?, &nvim_help())?),
        (CONFIGURATION_DOC.into(), splice(CONFIGURATION_DOC, &read(CONFIGURATION_DOC)?, &settings_table())?),
        (LANGUAGES_DOC.into(), splice(LANGUAGES_DOC, &read(LANGUAGES_DOC)?, &languages_table())?),
        (README.into(), readme(&read(README)?)?),
    ])
}

/// The generated files that differ from what is on disk under `root`.
pub fn stale(root: &Path) -> Result<Vec<PathBuf>, String> {
    Ok(files(root)?
        .into_iter()
        .filter(|(path, text)| std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text))
        .map(|(path, _)| path)
        .collect())
}

/// Writes every generated file that changed; returns their paths.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, String> {
    let stale = stale(root)?;
    for (path, text) in files(root)? {
        if stale.contains(&path) {
            std::fs::write(root.join(&path), text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(stale)
}

fn header(comment: &str) -> String {
    format!("{comment} Generated from the server's tables (server/src/config.rs, server/src/syntax/mod.rs)\n{comment} by `{COMMAND}`: edit those, not this file.\n")
}

fn editor_languages() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().flat_map(|language| language.editor_languages.iter().copied())
}

// ---- VS Code -------------------------------------------------------------------------------

/// `package.json` with the server's settings and the languages' activation events.
fn package_json(text: &str) -> Result<String, String> {
    let mut package: Json =
        serde_json::from_str(text).map_err(|e| format!("{PACKAGE_JSON} is not JSON: {e}"))?;
    let events =
        package.field("activationEvents").ok_or(format!("{PACKAGE_JSON} has no activationEvents"))?;
    let Json::Array(events) = events else {
        return Err(format!("{PACKAGE_JSON}: activationEvents is not a list"));
    };
    let others: Vec<Json> = events
        .drain(..)
        .filter(|event| !event.as_str().is_some_and(|e| e.starts_with("onLanguage:")))
        .collect();
    events.extend(editor_languages().map(|id| Json::from(format!("onLanguage:{id}"))));
    events.extend(others);

    let properties = package
        .field("contributes")
        .and_then(|c| c.field("configuration"))
        .and_then(|c| c.field("properties"))
        .ok_or(format!("{PACKAGE_JSON} has no contributes.configuration.properties"))?;
    let Json::Object(properties) = properties else {
        return Err(format!("{PACKAGE_JSON}: contributes.configuration.properties is not an object"));
    };
    let ours: Vec<String> = SETTINGS.iter().map(|s| format!("rationale.{}", s.editor_name)).collect();
    properties.retain(|(name, _)| !ours.contains(name));
    properties.extend(SETTINGS.iter().map(|s| (format!("rationale.{}", s.editor_name), vscode_setting(s))));

    let mut out = serde_json::to_string_pretty(&package).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

fn vscode_setting(setting: &Setting) -> Json {
    let mut fields: Vec<(String, Json)> = Vec::new();
    let mut field = |name: &str, value: Json| fields.push((name.to_string(), value));
    match setting.kind {
        Kind::Line { min_chars, max_chars } => {
            field("type", "string".into());
            if min_chars > 0 {
                field("minLength", Json::from(min_chars as u64));
            }
            if let Some(max) = max_chars {
                field("maxLength", Json::from(max as u64));
            }
        }
        Kind::WholeNumber { min, max, .. } => {
            field("type", "integer".into());
            field("minimum", min.into());
            field("maximum", max.into());
        }
        Kind::Boolean => field("type", "boolean".into()),
        Kind::Globs => {
            field("type", "array".into());
            field("items", Json::Object(vec![("type".into(), "string".into())]));
        }
    }
    field("default", Json::Plain(setting.default_json()));
    field(
        "markdownDescription",
        format!("{} Overrides `{}` in `{FILE_NAME}` when set.", setting.description, setting.file_name)
            .into(),
    );
    Json::Object(fields)
}

fn vscode_module() -> String {
    let quoted = |names: &mut dyn Iterator<Item = &str>| {
        names.map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
    };
    let keys = quoted(&mut SETTINGS.iter().map(|s| s.editor_name));
    let languages = quoted(&mut editor_languages());
    format!(
        "{}\n/** The settings the server reads, by their names in the editor (camelCase). */\nexport const SERVER_KEYS = [{keys}] as const;\n\n/** The language ids of the documents the server tracks. */\nexport const LANGUAGES: readonly string[] = [{languages}];\n",
        header("//")
    )
}

// ---- Neovim --------------------------------------------------------------------------------

fn lua_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn lua_value(value: &Value) -> String {
    match value {
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            format!("{{ {} }}", items.iter().map(lua_value).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

fn nvim_module() -> String {
    let mut out = header("--");
    out.push_str("return {\n  --- The filetypes of the documents the server tracks.\n  filetypes = { ");
    out.push_str(&editor_languages().map(lua_string).collect::<Vec<_>>().join(", "));
    out.push_str(
        " },\n  --- The server's settings: `name` in vim.g.rationale (snake_case, as in rationale.toml),\n",
    );
    out.push_str(
        "  --- `server_key` as the server reads it, what values it takes and its default.\n  settings = {\n",
    );
    for setting in &SETTINGS {
        let mut fields = vec![
            format!("name = {}", lua_string(setting.file_name)),
            format!("server_key = {}", lua_string(setting.editor_name)),
        ];
        match setting.kind {
            Kind::Line { min_chars, max_chars } => {
                fields.push("type = 'line'".into());
                fields.push(format!("min_chars = {min_chars}"));
                if let Some(max) = max_chars {
                    fields.push(format!("max_chars = {max}"));
                }
            }
            Kind::WholeNumber { min, max, .. } => {
                fields.push("type = 'integer'".into());
                fields.push(format!("minimum = {min}"));
                fields.push(format!("maximum = {max}"));
            }
            Kind::Boolean => fields.push("type = 'boolean'".into()),
            Kind::Globs => fields.push("type = 'globs'".into()),
        }
        if setting.default != DefaultValue::WorkedOut {
            fields.push(format!("default = {}", lua_value(&setting.default_json())));
        }
        fields.push(format!("expected = {}", lua_string(&setting.allowed().replace('`', ""))));
        let _ = writeln!(out, "    {{ {} }},", fields.join(", "));
    }
    out.push_str("  },\n}\n");
    out
}

/// The help's entry of each setting, as `:help` formats an option: the name and its tag on one
/// line, then what it does, the values it takes and its default (as Lua writes it, since that is
/// how `vim.g.rationale` takes it), indented and wrapped to the help's 78 columns.
fn nvim_help() -> String {
    let mut out = String::new();
    for setting in &SETTINGS {
        let tag = format!("*rationale-{}*", setting.file_name);
        let room = 78usize.saturating_sub(setting.file_name.len() + tag.len()).max(1);
        let _ = writeln!(out, "{}{}{tag}", setting.file_name, " ".repeat(room));
        let default = match setting.default {
            DefaultValue::WorkedOut => "blank".to_string(),
            _ => format!("`{}`", lua_value(&setting.default_json())),
        };
        let text = format!("{} Takes {}. Server default: {default}.", setting.description, setting.allowed());
        for line in help_lines(&text, 74) {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    }
    out
}

/// `text` in lines of at most `width` characters, broken between words but never inside a
/// `code span` (a longer word or span stands alone on its line).
fn help_lines(text: &str, width: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match words.last_mut() {
            // Inside a code span: an odd number of backticks so far.
            Some(last) if last.matches('`').count() % 2 == 1 => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for word in words {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(&word);
            }
            _ => lines.push(word),
        }
    }
    lines
}

// ---- Docs ----------------------------------------------------------------------------------

/// `text` with what stands between the generated markers replaced by `table`.
fn splice(path: &str, text: &str, table: &str) -> Result<String, String> {
    let missing = || format!("{path} has no `{BEGIN} ... -->` ... `{END}` to fill");
    let begin = text.find(BEGIN).ok_or_else(missing)?;
    let body = begin + text[begin..].find("-->").ok_or_else(missing)? + "-->".len();
    let end = body + text[body..].find(END).ok_or_else(missing)?;
    Ok(format!("{}\n{table}{}", &text[..body], &text[end..]))
}

fn settings_table() -> String {
    let mut out = String::from(
        "| `rationale.toml` | editor | default | meaning | allowed |\n| --- | --- | --- | --- | --- |\n",
    );
    for setting in &SETTINGS {
        let default = match setting.default {
            DefaultValue::WorkedOut => "worked out (see [Author](#author))".to_string(),
            _ => format!("`{}`", setting.default_json()).replace(",", ", "),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {default} | {} | {} |",
            setting.file_name,
            setting.editor_name,
            setting.description,
            setting.allowed()
        );
    }
    out
}

fn code_list(items: impl Iterator<Item = String>) -> String {
    items.map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}

fn extensions(language: &Language) -> impl Iterator<Item = String> + '_ {
    language.extensions.iter().map(|e| format!(".{e}"))
}

fn languages_table() -> String {
    let mut out = String::from(
        "| language (journal) | editor language ids | extensions | separator | line comment |\n| --- | --- | --- | --- | --- |\n",
    );
    for language in LANGUAGES {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | `{}` | `{}` |",
            language.name,
            code_list(language.editor_languages.iter().map(|id| id.to_string())),
            code_list(extensions(language)),
            language.separator,
            language.line_comment
        );
    }
    out
}

/// The README with the extensions column of its table of languages (the first table under
/// "## Units and prompts": a header, a rule, then one row per language in the server's order)
/// as the server has them.
fn readme(text: &str) -> Result<String, String> {
    let missing = || format!("{README} has no table under `## Units and prompts`");
    let section = text.find("## Units and prompts").ok_or_else(missing)?;
    let start = section + text[section..].find("\n|").ok_or_else(missing)? + 1;
    let end = text[start..].find("\n\n").map_or(text.len(), |at| start + at + 1);
    let lines: Vec<&str> = text[start..end].lines().collect();
    let body = lines.get(2..).unwrap_or_default();
    if body.len() != LANGUAGES.len() {
        return Err(format!(
            "{README}: the table of languages has {} rows, the server {}",
            body.len(),
            LANGUAGES.len()
        ));
    }
    let mut table: Vec<String> = lines[..2].iter().map(|line| line.to_string()).collect();
    for (line, language) in body.iter().zip(LANGUAGES) {
        let mut cells: Vec<String> = line.split('|').map(str::to_string).collect();
        if cells.len() < 4 {
            return Err(format!("{README}: `{line}` is not a row of the table of languages"));
        }
        let listed: Vec<String> = extensions(language).map(|e| format!("`{e}`")).collect();
        cells[2] = format!(" {} ", listed.join(" "));
        table.push(cells.join("|"));
    }
    Ok(format!("{}{}\n{}", &text[..start], table.join("\n"), &text[end..]))
}

// ---- JSON that keeps its order -------------------------------------------------------------

/// A JSON value whose objects keep the order of their keys (`serde_json::Value` sorts them), so
/// that `package.json` is rewritten as it was written, but for what is generated.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Plain(Value),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn field(&mut self, name: &str) -> Option<&mut Json> {
        match self {
            Json::Object(fields) => fields.iter_mut().find(|(key, _)| key == name).map(|(_, value)| value),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Plain(value) => value.as_str(),
            _ => None,
        }
    }
}

impl<T: Into<Value>> From<T> for Json {
    fn from(value: T) -> Self {
        Json::Plain(value.into())
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Plain(value) => value.serialize(serializer),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(v.into())
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(v.into())
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(v.into())
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(v.into())
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(v.into())
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Plain(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry()? {
                    fields.push((key, value));
                }
                Ok(Json::Object(fields))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// As rust-analyzer does for its `package.json`: what the tables say and what is committed
    /// must agree.
    #[test]
    fn the_generated_files_are_as_the_tables_say() {
        let stale = stale(&root()).unwrap();
        assert!(
            stale.is_empty(),
            "these files differ from what the server's tables make: {stale:?}\nrun `{COMMAND}` and commit what it writes"
        );
    }

    #[test]
    fn package_json_keeps_its_own_keys_in_order() {
        let text = r#"{
  "activationEvents": [
    "onLanguage:cobol",
    "workspaceContains:rationale.toml"
  ],
  "contributes": {
    "configuration": {
      "properties": {
        "rationale.server.path": {
          "type": "string"
        },
        "rationale.codelens": {
          "type": "boolean",
          "default": true
        }
      }
    }
  },
  "z": 1,
  "a": 2
}
"#;
        let out = package_json(text).unwrap();
        assert!(out.contains("\"onLanguage:python\",\n    \"onLanguage:javascript\","), "{out}");
        assert!(!out.contains("cobol"), "{out}");
        assert!(out.contains("\"onLanguage:rust\",\n    \"workspaceContains:rationale.toml\"\n  ]"), "{out}");
        assert!(out.contains("\"rationale.server.path\": {\n          \"type\": \"string\"\n        },\n        \"rationale.author\""), "{out}");
        assert!(
            out.contains(
                "\"rationale.codelens\": {\n          \"type\": \"boolean\",\n          \"default\": false,"
            ),
            "{out}"
        );
        assert!(out.ends_with("  \"z\": 1,\n  \"a\": 2\n}\n"), "{out}");
        // Written again, nothing moves.
        assert_eq!(package_json(&out).unwrap(), out);
    }

    #[test]
    fn help_lines_break_between_words_and_keep_code_spans_whole() {
        assert_eq!(help_lines("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(help_lines("a `{ 'x', 'y' }` b", 6), ["a", "`{ 'x', 'y' }`", "b"]);
    }

    #[test]
    fn a_document_without_its_markers_is_an_error_that_names_it() {
        let error = splice("docs/x.md", "no markers here", "| table |").unwrap_err();
        assert!(error.starts_with("docs/x.md has no `<!-- generated"), "{error}");
        let spliced =
            splice("d", "a\n<!-- generated by x -->\nold\n<!-- end generated -->\nb", "new\n").unwrap();
        assert_eq!(spliced, "a\n<!-- generated by x -->\nnew\n<!-- end generated -->\nb");
    }
}
