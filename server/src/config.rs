//! Settings: the table of every setting ([`SETTINGS`]: its names, kind, default, limits and
//! description), the spec's defaults overlaid with `<folder>/rationale.toml` (snake_case keys),
//! then with the editor's settings (`initializationOptions` and
//! `workspace/didChangeConfiguration`, the same keys in camelCase).
//!
//! The table is the one place a setting is described: the editors' settings (VS Code's
//! `package.json`, the Neovim plugin's validation) and the table in `docs/configuration.md` are
//! generated from it by [`crate::generated`].
//!
//! Nothing here fails. A bad file, a value of the wrong type or out of range, an invalid exclude
//! glob or an unknown key becomes a [`ConfigProblem`] that names the key; that key keeps the value
//! it had (the default, or what an earlier source set) and every other key still applies. The
//! language server shows the problems with `window/showMessage`.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::exclusions::{self, Exclusions};

/// The settings file at the root of a workspace folder.
pub const FILE_NAME: &str = "rationale.toml";
/// [`ConfigProblem::source`] of problems in the editor's settings.
pub const EDITOR_SOURCE: &str = "editor settings";

/// A settings file is a few lines; anything this big is a mistake and is not read into memory.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// One setting, as every place that shows or checks it needs it.
#[derive(Debug)]
pub struct Setting {
    key: Key,
    /// Its name in `rationale.toml` (snake_case).
    pub file_name: &'static str,
    /// Its name in the editor's settings (camelCase).
    pub editor_name: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
    /// What it does, in one or two sentences of Markdown.
    pub description: &'static str,
}

/// The values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text, `min_chars` to `max_chars` characters after trimming (blank is
    /// allowed when `min_chars` is 0).
    Line {
        min_chars: usize,
        max_chars: Option<usize>,
    },
    /// A whole number from `min` to `max`, counting `unit`s; `max_note` says what `max` is.
    WholeNumber {
        min: u64,
        max: u64,
        unit: &'static str,
        max_note: &'static str,
    },
    Boolean,
    /// A list of globs with `.gitignore` syntax.
    Globs,
}

/// A setting's value when nothing sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// Worked out when needed (the author: see [`crate::git::resolve_author`]); blank in the
    /// editors.
    WorkedOut,
    Text(&'static str),
    Number(u64),
    Boolean(bool),
    Globs(&'static [&'static str]),
}

/// Every setting, in the order the docs and the editors list them.
pub static SETTINGS: [Setting; 8] = [
    Setting {
        key: Key::Author,
        file_name: "author",
        editor_name: "author",
        kind: Kind::Line { min_chars: 0, max_chars: None },
        default: DefaultValue::WorkedOut,
        description: "Who is recording: written in each journal's `session` record, and the reviewer of \
                      any verdict given. Blank: `$RATIONALE_AUTHOR`, else git's `user.email`, else the \
                      OS user.",
    },
    Setting {
        key: Key::SettleMs,
        file_name: "settle_ms",
        editor_name: "settleMs",
        // Longer than 10 minutes is no longer "quiet time after an edit": most likely a unit
        // mix-up (seconds for milliseconds makes 3000 into 3000000).
        kind: Kind::WholeNumber { min: 0, max: 600_000, unit: "milliseconds", max_note: " (10 minutes)" },
        default: DefaultValue::Number(3000),
        description: "Quiet time, in milliseconds, after the last edit to a unit before its change is \
                      ready to explain (prompted); `0`: at once. Saving makes every change ready.",
    },
    Setting {
        key: Key::MinRationaleChars,
        file_name: "min_rationale_chars",
        editor_name: "minRationaleChars",
        // At least 1: an empty rationale explains nothing (*Skip* says a change needs none). A
        // longer minimum than 1000 would refuse every rationale a person is likely to write.
        kind: Kind::WholeNumber { min: 1, max: 1000, unit: "characters", max_note: "" },
        default: DefaultValue::Number(15),
        description: "Shorter rationales (counted in characters after trimming) are refused.",
    },
    Setting {
        key: Key::Codelens,
        file_name: "codelens",
        editor_name: "codelens",
        kind: Kind::Boolean,
        // Off: the diagnostic and its code action already prompt on the unit's name, and a lens
        // that appears pushes the code down a line while the person reads it.
        default: DefaultValue::Boolean(false),
        description: "Also offer the prompt as a code lens above each unit with a change ready to \
                      explain.",
    },
    Setting {
        key: Key::Exclude,
        file_name: "exclude",
        editor_name: "exclude",
        kind: Kind::Globs,
        default: DefaultValue::Globs(&[".env*", "*.pem", "*.key", "**/secrets*", "**/node_modules/**"]),
        description: "Files never tracked, besides what the workspace's `.gitignore` files ignore. \
                      Setting it replaces the whole list; it applies to documents opened afterwards.",
    },
    Setting {
        key: Key::WhyMarker,
        file_name: "why_marker",
        editor_name: "whyMarker",
        kind: Kind::Line { min_chars: 1, max_chars: Some(40) },
        default: DefaultValue::Text("why:"),
        description: "The prefix of a why-comment: a comment whose text, after its `#`, `//` or `/*`, \
                      starts with it (case-sensitive) is recorded as the rationale of the change around \
                      it when you save.",
    },
    Setting {
        key: Key::MaxFileBytes,
        file_name: "max_file_bytes",
        editor_name: "maxFileBytes",
        // A gibibyte is past any source file a person writes; the limit is there for generated
        // ones, and a larger value is most likely a typo.
        kind: Kind::WholeNumber { min: 1, max: 1 << 30, unit: "bytes", max_note: " (1 GiB)" },
        default: DefaultValue::Number(2 * 1024 * 1024),
        description: "A document larger than this, in bytes, when it is opened (or one whose lines \
                      average more than 1,000 characters) is taken as generated: its edits are \
                      journaled as always, but no units are found in it and nothing is prompted.",
    },
    Setting {
        key: Key::Nudge,
        file_name: "nudge",
        editor_name: "nudge",
        kind: Kind::Boolean,
        // On: a hint costs a second Enter, and a rationale that says why is what the journal is for.
        default: DefaultValue::Boolean(true),
        description: "Before recording a rationale that says little about why (flagged `generic`, \
                      `restates_diff` or `no_why`), give it back once with a hint; sending it again \
                      unchanged records it as it is. A why-comment is recorded, then hinted at.",
    },
];

impl Setting {
    /// The default as a JSON value, as the editors' settings hold it (`""` for a worked-out one).
    pub fn default_json(&self) -> Value {
        match self.default {
            DefaultValue::WorkedOut => Value::from(""),
            DefaultValue::Text(text) => Value::from(text),
            DefaultValue::Number(n) => Value::from(n),
            DefaultValue::Boolean(b) => Value::from(b),
            DefaultValue::Globs(globs) => Value::from(globs.to_vec()),
        }
    }

    /// What values it takes, in words: "a whole number from 0 to 600000 (10 minutes)".
    pub fn allowed(&self) -> String {
        match self.kind {
            Kind::Line { min_chars: 0, .. } if self.default == DefaultValue::WorkedOut => {
                "one line of text; blank: work it out".into()
            }
            Kind::Line { min_chars, max_chars: Some(max) } => {
                format!("one line of text, {min_chars} to {max} characters")
            }
            Kind::Line { min_chars, max_chars: None } => {
                format!("one line of text, {min_chars} characters or more")
            }
            Kind::WholeNumber { min, max, max_note, .. } => {
                format!("a whole number from {min} to {max}{max_note}")
            }
            Kind::Boolean => "`true` or `false`".into(),
            Kind::Globs => "a list of globs with `.gitignore` syntax".into(),
        }
    }

    fn of(key: Key) -> &'static Setting {
        SETTINGS.iter().find(|setting| setting.key == key).expect("every key has a row in SETTINGS")
    }
}

/// The settings of one workspace folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Who is recording; `None`: work it out with [`crate::git::resolve_author`].
    pub author: Option<String>,
    /// Quiet time after the last edit to a unit before its change is ready; 0: at once.
    pub settle_ms: u64,
    /// Shorter rationales (after trimming) are refused.
    pub min_rationale_chars: usize,
    /// Also offer the prompt as a code lens above the unit.
    pub codelens: bool,
    /// Globs never tracked (gitignore semantics), besides what `.gitignore` files ignore.
    pub exclude: Vec<String>,
    /// The prefix of a why-comment.
    pub why_marker: String,
    /// A document larger than this when opened is generated: no units, no prompts.
    pub max_file_bytes: u64,
    /// Give a rationale that says little about why one hint before it is recorded.
    pub nudge: bool,
}

impl Default for Config {
    fn default() -> Self {
        let default = |key| Setting::of(key).default;
        let number = |key| match default(key) {
            DefaultValue::Number(n) => n,
            other => unreachable!("{key:?} defaults to {other:?}"),
        };
        let text = |key| match default(key) {
            DefaultValue::Text(text) => text.to_string(),
            other => unreachable!("{key:?} defaults to {other:?}"),
        };
        Config {
            author: None,
            settle_ms: number(Key::SettleMs),
            min_rationale_chars: number(Key::MinRationaleChars) as usize,
            codelens: matches!(default(Key::Codelens), DefaultValue::Boolean(true)),
            exclude: match default(Key::Exclude) {
                DefaultValue::Globs(globs) => globs.iter().map(|glob| glob.to_string()).collect(),
                other => unreachable!("exclude defaults to {other:?}"),
            },
            why_marker: text(Key::WhyMarker),
            max_file_bytes: number(Key::MaxFileBytes),
            nudge: matches!(default(Key::Nudge), DefaultValue::Boolean(true)),
        }
    }
}

/// A setting that was not applied, and why. Displayed as `<source>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where the setting came from: `rationale.toml` or `editor settings`.
    pub source: String,
    /// The key at fault as the source spells it (`settle_ms`, `settleMs`); empty for the whole
    /// file.
    pub key: String,
    /// What is wrong and which value holds instead.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl Config {
    /// The defaults overlaid with `<folder>/rationale.toml`, if there is one.
    pub fn load(folder: &Path) -> (Config, Vec<ConfigProblem>) {
        let mut config = Config::default();
        let problems = config.apply_file(&folder.join(FILE_NAME));
        (config, problems)
    }

    /// Overlays the editor's settings (camelCase keys). A key that is absent or `null` leaves its
    /// value alone; an empty `author` means "work it out". Clients differ in whether they send
    /// the settings themselves or the section that holds them, so `{"rationale": {...}}` is
    /// accepted too. Keys of the editor's own (a server path, say) share this object, so an
    /// unknown key is reported only when it looks like a misspelt setting.
    pub fn apply_editor(&mut self, settings: &Value) -> Vec<ConfigProblem> {
        let settings = match settings {
            Value::Null => return Vec::new(),
            Value::Object(map) => match map.get("rationale") {
                Some(Value::Object(section)) => section,
                _ => map,
            },
            other => {
                return vec![ConfigProblem {
                    source: EDITOR_SOURCE.into(),
                    key: String::new(),
                    message: format!(
                        "the settings must be an object of keys and values, not {}; ignoring them",
                        describe(other)
                    ),
                }]
            }
        };
        let mut problems = Vec::new();
        for (name, value) in settings {
            if value.is_null() {
                continue;
            }
            match Key::named(Style::Editor, name) {
                Some(key) => problems.extend(self.apply(Style::Editor, key, value)),
                None => {
                    if let Some(known) = nearest_key(Style::Editor, name) {
                        problems.push(unknown_key(Style::Editor, name, Some(known)));
                    }
                }
            }
        }
        problems
    }

    fn apply_file(&mut self, path: &Path) -> Vec<ConfigProblem> {
        let file_problem =
            |key: &str, message: String| ConfigProblem { source: FILE_NAME.into(), key: key.into(), message };
        let text = match read_small(path) {
            Ok(Some(text)) => text,
            Ok(None) => return Vec::new(),
            Err(why) => return vec![file_problem("", format!("{why}; using the defaults"))],
        };
        let table = match toml::from_str::<toml::Table>(&text) {
            Ok(table) => table,
            Err(e) => {
                let (line, column, key) = e.span().map_or((1, 1, None), |span| locate(&text, span.start));
                let what = e.message().trim().replace('\n', ", ");
                let message =
                    format!("line {line}, column {column}: {what}; ignoring the file and using the defaults");
                return vec![file_problem(key.unwrap_or(""), message)];
            }
        };
        let mut problems = Vec::new();
        for (name, value) in &table {
            let value = toml_to_json(value);
            match Key::named(Style::File, name) {
                Some(key) => problems.extend(self.apply(Style::File, key, &value)),
                None => {
                    let mut problem = unknown_key(Style::File, name, nearest_key(Style::File, name));
                    let holds_settings = value
                        .as_object()
                        .is_some_and(|t| t.keys().any(|k| Key::named(Style::File, k).is_some()));
                    if holds_settings {
                        problem.message.push_str(&format!(
                            " (settings go at the top level of {FILE_NAME}, not in a [{name}] table)"
                        ));
                    }
                    problems.push(problem);
                }
            }
        }
        problems
    }

    /// Sets `key` from `value`, or leaves it alone and says why.
    fn apply(&mut self, style: Style, key: Key, value: &Value) -> Vec<ConfigProblem> {
        let reasons = match self.set(key, value) {
            Ok(()) => return Vec::new(),
            Err(reasons) => reasons,
        };
        let name = key.name(style);
        let holds = self.holds(key);
        reasons
            .into_iter()
            .map(|reason| ConfigProblem {
                source: style.source().into(),
                key: name.into(),
                message: format!("`{name}` {reason}; {holds}"),
            })
            .collect()
    }

    /// Validates and sets one value. The reasons complete a sentence that starts with the key.
    fn set(&mut self, key: Key, value: &Value) -> Result<(), Vec<String>> {
        let not = describe(value);
        let kind = Setting::of(key).kind;
        match key {
            Key::Author => {
                let Some(author) = value.as_str() else {
                    return Err(vec![format!("must be text (an email address or a name), not {not}")]);
                };
                if author.contains(['\n', '\r']) {
                    return Err(vec![format!("must be one line of text, not {not}")]);
                }
                let author = author.trim();
                self.author = (!author.is_empty()).then(|| author.to_string());
            }
            Key::SettleMs => {
                self.settle_ms = whole_number(value, kind).map_err(|reason| vec![reason])?;
            }
            Key::MinRationaleChars => {
                self.min_rationale_chars = whole_number(value, kind).map_err(|reason| vec![reason])? as usize;
            }
            Key::MaxFileBytes => {
                self.max_file_bytes = whole_number(value, kind).map_err(|reason| vec![reason])?;
            }
            Key::Codelens => {
                self.codelens =
                    value.as_bool().ok_or_else(|| vec![format!("must be true or false, not {not}")])?;
            }
            Key::Nudge => {
                self.nudge =
                    value.as_bool().ok_or_else(|| vec![format!("must be true or false, not {not}")])?;
            }
            Key::Exclude => {
                let Some(items) = value.as_array() else {
                    return Err(vec![format!("must be a list of glob patterns, not {not}")]);
                };
                let mut patterns = Vec::with_capacity(items.len());
                let mut reasons = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        None => reasons.push(format!(
                            "must be a list of glob patterns, but item {} is {}",
                            i + 1,
                            describe(item)
                        )),
                        Some(pattern) => match exclusions::pattern_error(pattern) {
                            Some(why) => reasons
                                .push(format!("pattern {} is not a valid glob ({why})", describe(item))),
                            None => patterns.push(pattern.to_string()),
                        },
                    }
                }
                // A list with a bad entry is not applied at all: half a list could track a
                // file the person meant to exclude, and they will fix the list anyway.
                if !reasons.is_empty() {
                    return Err(reasons);
                }
                self.exclude = patterns;
            }
            Key::WhyMarker => {
                let marker = value.as_str().map(str::trim).unwrap_or_default();
                if marker.is_empty() || marker.contains(['\n', '\r']) {
                    return Err(vec![format!("must be a non-empty line of text, not {not}")]);
                }
                if let Kind::Line { max_chars: Some(max), .. } = kind {
                    if marker.chars().count() > max {
                        return Err(vec![format!("must be at most {max} characters, not {not}")]);
                    }
                }
                self.why_marker = marker.to_string();
            }
        }
        Ok(())
    }

    /// What holds for `key` after a bad value: the default, or the value set earlier.
    fn holds(&self, key: Key) -> String {
        let current = self.value(key);
        match (key, current == Config::default().value(key)) {
            (Key::Author, true) => {
                "working out the author from $RATIONALE_AUTHOR, git's user.email or the OS user".into()
            }
            (Key::Exclude, true) => "using the default list".into(),
            (_, true) => format!("using the default {}", describe(&current)),
            (_, false) => format!("keeping {}", describe(&current)),
        }
    }

    /// The value of `key` as JSON (`null` for an author to be worked out).
    fn value(&self, key: Key) -> Value {
        match key {
            Key::Author => self.author.as_deref().map_or(Value::Null, Value::from),
            Key::SettleMs => Value::from(self.settle_ms),
            Key::MinRationaleChars => Value::from(self.min_rationale_chars),
            Key::Codelens => Value::from(self.codelens),
            Key::Exclude => Value::from(self.exclude.clone()),
            Key::WhyMarker => Value::from(self.why_marker.as_str()),
            Key::MaxFileBytes => Value::from(self.max_file_bytes),
            Key::Nudge => Value::from(self.nudge),
        }
    }

    /// The exclusion rules of the workspace `folder` under these settings.
    pub fn exclusions(&self, folder: &Path) -> (Exclusions, Vec<ConfigProblem>) {
        let (exclusions, left_out) = Exclusions::new(folder, &self.exclude);
        let problems = left_out
            .into_iter()
            .map(|message| ConfigProblem { source: "settings".into(), key: "exclude".into(), message })
            .collect();
        (exclusions, problems)
    }
}

/// The two spellings of the keys.
#[derive(Debug, Clone, Copy)]
enum Style {
    File,
    Editor,
}

impl Style {
    fn source(self) -> &'static str {
        match self {
            Style::File => FILE_NAME,
            Style::Editor => EDITOR_SOURCE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Author,
    SettleMs,
    MinRationaleChars,
    Codelens,
    Exclude,
    WhyMarker,
    MaxFileBytes,
    Nudge,
}

impl Key {
    fn name(self, style: Style) -> &'static str {
        let setting = Setting::of(self);
        match style {
            Style::File => setting.file_name,
            Style::Editor => setting.editor_name,
        }
    }

    fn named(style: Style, name: &str) -> Option<Key> {
        SETTINGS.iter().map(|setting| setting.key).find(|key| key.name(style) == name)
    }
}

fn unknown_key(style: Style, name: &str, suggestion: Option<&str>) -> ConfigProblem {
    let hint = match suggestion {
        Some(known) => format!("did you mean `{known}`?"),
        None => {
            let known: Vec<String> = SETTINGS.iter().map(|s| format!("`{}`", s.key.name(style))).collect();
            format!("the keys are {}", known.join(", "))
        }
    };
    ConfigProblem {
        source: style.source().into(),
        key: name.into(),
        message: format!("unknown key `{name}` ignored; {hint}"),
    }
}

/// The known key `name` was most likely meant to be: the same letters in another case or with
/// other separators (`settleMs` in the file), or at most two edits away (`settle_sm`).
fn nearest_key(style: Style, name: &str) -> Option<&'static str> {
    let squash = |s: &str| -> String {
        s.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect()
    };
    let wanted = squash(name);
    SETTINGS
        .iter()
        .map(|setting| setting.key.name(style))
        .map(|known| (edit_distance(&wanted, &squash(known)), known))
        .filter(|(distance, known)| *distance <= 2.min(known.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance where swapping two neighbouring letters is one edit (optimal string
/// alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// A whole number within the limits of `kind` (a [`Kind::WholeNumber`]), or the reason it is
/// not. Integral floats (`3000.0`) count: some clients send every number as a float.
fn whole_number(value: &Value, kind: Kind) -> Result<u64, String> {
    let Kind::WholeNumber { min, max, unit, max_note } = kind else {
        unreachable!("only whole-number settings are read as whole numbers")
    };
    let number = value.as_u64().or_else(|| {
        value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64).map(|f| f as u64)
    });
    match number {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(n) if n < min => {
            let unit = if min == 1 { unit.trim_end_matches('s') } else { unit };
            Err(format!("must be at least {min} {unit}, not {}", describe(value)))
        }
        Some(_) => Err(format!("must be at most {max} {unit}{max_note}, not {}", describe(value))),
        None => Err(format!("must be a whole number of {unit} ({min} or more), not {}", describe(value))),
    }
}

/// A value as the person would recognise it, shortened if long.
fn describe(value: &Value) -> String {
    const LIMIT: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        text
    } else {
        let short: String = text.chars().take(LIMIT).collect();
        format!("{short}…")
    }
}

/// TOML values as JSON values, so that both sources share one validation. A datetime becomes
/// its text: no key takes a datetime, and the message then shows it as written.
fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| Value::from(f.to_string()), Value::Number)
        }
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect())
        }
    }
}

/// The file's text, `None` when there is no file, or why it cannot be used.
fn read_small(path: &Path) -> Result<Option<String>, String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the file ({e})")),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file ({e})"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("the file is larger than {} KiB", MAX_FILE_BYTES / 1024));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| "the file is not UTF-8 text".to_string())
}

/// The line and column (from 1) of byte `offset` in `text`, and the key set on that line if it
/// is a `key = value` line.
fn locate(text: &str, offset: usize) -> (usize, usize, Option<&str>) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let key = line_text.split_once('=').map(|(key, _)| key.trim()).filter(|key| {
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    (line, column, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch::ScratchDir;
    use serde_json::json;

    fn load(toml: &str) -> (Config, Vec<ConfigProblem>) {
        let ws = ScratchDir::new("config");
        ws.write(FILE_NAME, toml);
        Config::load(ws.path())
    }

    fn messages(problems: &[ConfigProblem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn defaults_are_the_specs() {
        let config = Config::default();
        assert_eq!(config.author, None);
        assert_eq!(config.settle_ms, 3000);
        assert_eq!(config.min_rationale_chars, 15);
        assert!(!config.codelens);
        assert_eq!(config.exclude, [".env*", "*.pem", "*.key", "**/secrets*", "**/node_modules/**"]);
        assert_eq!(config.why_marker, "why:");
    }

    #[test]
    fn the_table_holds_the_defaults_and_names() {
        let defaults = Config::default();
        for setting in &SETTINGS {
            let expected = match setting.default {
                DefaultValue::WorkedOut => Value::Null,
                _ => setting.default_json(),
            };
            assert_eq!(defaults.value(setting.key), expected, "{}", setting.file_name);
            assert_eq!(Key::named(Style::File, setting.file_name), Some(setting.key));
            assert_eq!(Key::named(Style::Editor, setting.editor_name), Some(setting.key));
        }
        let allowed: Vec<String> = SETTINGS.iter().map(Setting::allowed).collect();
        assert_eq!(
            allowed,
            [
                "one line of text; blank: work it out",
                "a whole number from 0 to 600000 (10 minutes)",
                "a whole number from 1 to 1000",
                "`true` or `false`",
                "a list of globs with `.gitignore` syntax",
                "one line of text, 1 to 40 characters",
                "a whole number from 1 to 1073741824 (1 GiB)",
                "`true` or `false`",
            ]
        );
    }

    #[test]
    fn a_minimum_of_no_characters_is_refused() {
        let (config, problems) = load("min_rationale_chars = 0\n");
        assert_eq!(
            messages(&problems),
            ["rationale.toml: `min_rationale_chars` must be at least 1 character, not 0; using the default 15"]
        );
        assert_eq!(config.min_rationale_chars, 15);
        let mut config = Config::default();
        assert!(config.apply_editor(&json!({"minRationaleChars": 1})).is_empty());
        assert_eq!(config.min_rationale_chars, 1);
    }

    #[test]
    fn no_file_means_the_defaults() {
        let ws = ScratchDir::new("config-none");
        assert_eq!(Config::load(ws.path()), (Config::default(), vec![]));
    }

    #[test]
    fn a_file_sets_every_key() {
        let (config, problems) = load(
            r#"
author = "ada@example.com"
settle_ms = 0
min_rationale_chars = 40
codelens = false
exclude = ["*.log", "dist/"]
why_marker = "WHY:"
max_file_bytes = 500000
nudge = false
"#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            config,
            Config {
                author: Some("ada@example.com".into()),
                settle_ms: 0,
                min_rationale_chars: 40,
                codelens: false,
                exclude: vec!["*.log".into(), "dist/".into()],
                why_marker: "WHY:".into(),
                max_file_bytes: 500_000,
                nudge: false,
            }
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_keeps_the_default_and_the_rest_applies() {
        let (config, problems) = load("settle_ms = \"soon\"\ncodelens = false\n");
        assert_eq!(
            messages(&problems),
            ["rationale.toml: `settle_ms` must be a whole number of milliseconds (0 or more), not \"soon\"; using the default 3000"]
        );
        assert_eq!(problems[0].key, "settle_ms");
        assert_eq!(config.settle_ms, 3000);
        assert!(!config.codelens);
    }

    #[test]
    fn negative_fractional_and_absurd_numbers_are_refused() {
        let (config, problems) = load("settle_ms = -5\nmin_rationale_chars = 2.5\n");
        assert_eq!(
            messages(&problems),
            [
                "rationale.toml: `min_rationale_chars` must be a whole number of characters (1 or more), not 2.5; using the default 15",
                "rationale.toml: `settle_ms` must be a whole number of milliseconds (0 or more), not -5; using the default 3000",
            ]
        );
        assert_eq!((config.settle_ms, config.min_rationale_chars), (3000, 15));

        let (config, problems) = load("settle_ms = 3000000\nmin_rationale_chars = 100000\n");
        assert_eq!(
            messages(&problems),
            [
                "rationale.toml: `min_rationale_chars` must be at most 1000 characters, not 100000; using the default 15",
                "rationale.toml: `settle_ms` must be at most 600000 milliseconds (10 minutes), not 3000000; using the default 3000",
            ]
        );
        assert_eq!(config, Config::default());
    }

    #[test]
    fn other_types_are_refused_by_key() {
        let (config, problems) =
            load("codelens = \"yes\"\nauthor = 5\nwhy_marker = \"  \"\nexclude = \"*.log\"\n");
        assert_eq!(
            messages(&problems),
            [
                "rationale.toml: `author` must be text (an email address or a name), not 5; working out the author from $RATIONALE_AUTHOR, git's user.email or the OS user",
                "rationale.toml: `codelens` must be true or false, not \"yes\"; using the default false",
                "rationale.toml: `exclude` must be a list of glob patterns, not \"*.log\"; using the default list",
                "rationale.toml: `why_marker` must be a non-empty line of text, not \"  \"; using the default \"why:\"",
            ]
        );
        assert_eq!(config, Config::default());
    }

    #[test]
    fn a_syntax_error_names_the_line_and_key_and_the_defaults_hold() {
        let (config, problems) = load("codelens = false\nsettle_ms = soon\n");
        assert_eq!(config, Config::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "settle_ms");
        let message = problems[0].to_string();
        assert!(message.starts_with("rationale.toml: line 2, column 13: "), "{message}");
        assert!(message.ends_with("; ignoring the file and using the defaults"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn unknown_keys_are_named_with_the_nearest_known_key() {
        let (config, problems) =
            load("settle_sm = 10\nsettleMs = 20\ncode-lens = false\ncolour = \"red\"\nsettle_ms = 30\n");
        assert_eq!(config.settle_ms, 30);
        assert_eq!(
            messages(&problems),
            [
                "rationale.toml: unknown key `code-lens` ignored; did you mean `codelens`?",
                "rationale.toml: unknown key `colour` ignored; the keys are `author`, `settle_ms`, `min_rationale_chars`, `codelens`, `exclude`, `why_marker`, `max_file_bytes`, `nudge`",
                "rationale.toml: unknown key `settleMs` ignored; did you mean `settle_ms`?",
                "rationale.toml: unknown key `settle_sm` ignored; did you mean `settle_ms`?",
            ]
        );
        assert_eq!(problems[3].key, "settle_sm");
    }

    #[test]
    fn a_settings_table_is_pointed_at_the_top_level() {
        let (config, problems) = load("[rationale]\nsettle_ms = 10\n");
        assert_eq!(config, Config::default());
        assert_eq!(
            messages(&problems),
            ["rationale.toml: unknown key `rationale` ignored; the keys are `author`, `settle_ms`, `min_rationale_chars`, `codelens`, `exclude`, `why_marker`, `max_file_bytes`, `nudge` (settings go at the top level of rationale.toml, not in a [rationale] table)"]
        );
    }

    #[test]
    fn an_invalid_exclude_glob_keeps_the_whole_previous_list() {
        let (config, problems) = load("exclude = [\"*.log\", \"[oops\", 7]\ncodelens = false\n");
        assert_eq!(config.exclude, Config::default().exclude);
        assert!(!config.codelens);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.key == "exclude"));
        assert!(
            problems[0].message.starts_with("`exclude` pattern \"[oops\" is not a valid glob ("),
            "{}",
            problems[0]
        );
        assert!(problems[0].message.ends_with("); using the default list"), "{}", problems[0]);
        assert_eq!(
            problems[1].message,
            "`exclude` must be a list of glob patterns, but item 3 is 7; using the default list"
        );
    }

    #[test]
    fn unreadable_oversized_and_binary_files_are_reported() {
        let ws = ScratchDir::new("config-bad-files");
        std::fs::create_dir(ws.path().join(FILE_NAME)).unwrap();
        let (config, problems) = Config::load(ws.path());
        assert_eq!(config, Config::default());
        assert!(
            problems[0].to_string().starts_with("rationale.toml: cannot read the file ("),
            "{}",
            problems[0]
        );

        let (_, problems) = load(&format!("# {}\n", "x".repeat(2 << 20)));
        assert_eq!(
            messages(&problems),
            ["rationale.toml: the file is larger than 1024 KiB; using the defaults"]
        );

        let ws = ScratchDir::new("config-binary");
        std::fs::write(ws.path().join(FILE_NAME), b"author = \"\xff\"\n").unwrap();
        let (_, problems) = Config::load(ws.path());
        assert_eq!(messages(&problems), ["rationale.toml: the file is not UTF-8 text; using the defaults"]);
    }

    #[test]
    fn editor_settings_override_the_file_in_camel_case() {
        let (mut config, problems) = load("settle_ms = 5000\ncodelens = false\n");
        assert!(problems.is_empty());
        let problems = config.apply_editor(&json!({
            "author": "grace@example.com",
            "minRationaleChars": 20,
            "codelens": true,
            "exclude": ["*.tmp"],
            "whyMarker": "because:",
            "maxFileBytes": 4096,
            "settleMs": null,
        }));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            config,
            Config {
                author: Some("grace@example.com".into()),
                settle_ms: 5000,
                min_rationale_chars: 20,
                codelens: true,
                exclude: vec!["*.tmp".into()],
                why_marker: "because:".into(),
                max_file_bytes: 4096,
                nudge: true,
            }
        );
        // An empty author goes back to working it out.
        assert!(config.apply_editor(&json!({"author": ""})).is_empty());
        assert_eq!(config.author, None);
    }

    #[test]
    fn a_bad_editor_value_keeps_the_previous_value() {
        let mut config = Config { settle_ms: 5000, ..Config::default() };
        let problems = config.apply_editor(&json!({"settleMs": "soon", "codelens": false}));
        assert_eq!(
            messages(&problems),
            ["editor settings: `settleMs` must be a whole number of milliseconds (0 or more), not \"soon\"; keeping 5000"]
        );
        assert_eq!(problems[0].key, "settleMs");
        assert_eq!(config.settle_ms, 5000);
        assert!(!config.codelens);
        // Integral floats are whole numbers.
        assert!(config.apply_editor(&json!({"settleMs": 250.0})).is_empty());
        assert_eq!(config.settle_ms, 250);
    }

    #[test]
    fn editor_settings_report_only_likely_misspellings() {
        let mut config = Config::default();
        let problems = config.apply_editor(&json!({
            "settle_ms": 10,
            "whyMraker": "x:",
            "server": {"path": "/opt/rationale"},
            "trace": {"server": "verbose"},
            "clientCommands": ["rationale.explain"],
        }));
        assert_eq!(
            messages(&problems),
            [
                "editor settings: unknown key `settle_ms` ignored; did you mean `settleMs`?",
                "editor settings: unknown key `whyMraker` ignored; did you mean `whyMarker`?",
            ]
        );
        assert_eq!(config, Config::default());
    }

    #[test]
    fn editor_settings_may_come_in_their_section() {
        let mut config = Config::default();
        assert!(config.apply_editor(&json!({"rationale": {"settleMs": 0}})).is_empty());
        assert_eq!(config.settle_ms, 0);
        assert!(config.apply_editor(&Value::Null).is_empty());
        let problems = config.apply_editor(&json!([1, 2]));
        assert_eq!(
            messages(&problems),
            ["editor settings: the settings must be an object of keys and values, not [1,2]; ignoring them"]
        );
    }
}
