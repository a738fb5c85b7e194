//! The rule set: gitleaks' default configuration, compiled into the binary, plus the rules gitleaks
//! lacks. Each rule's regex is compiled the first time one of its keywords appears in a text, so
//! an export that meets few keywords compiles few regexes.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

/// gitleaks' `config/gitleaks.toml`, pinned (see `server/assets/gitleaks/README.md`).
pub const GITLEAKS_TOML: &str = include_str!("../../assets/gitleaks/gitleaks.toml");

/// The parts of a gitleaks configuration that redaction uses.
#[derive(Debug, Deserialize)]
pub struct ConfigFile {
    /// The global allowlist, as gitleaks 8 spells it.
    #[serde(default)]
    pub allowlist: Option<AllowlistDef>,
    /// The global allowlists, as later gitleaks versions spell them.
    #[serde(default)]
    pub allowlists: Vec<AllowlistDef>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleDef {
    pub id: String,
    /// Absent in rules that only match file paths; those do not apply to text.
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub allowlists: Vec<AllowlistDef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistDef {
    /// `OR` (the default) or `AND`.
    #[serde(default)]
    pub condition: Option<String>,
    /// `secret` (the default), `match` or `line`.
    #[serde(default)]
    pub regex_target: Option<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// What an allowlist regex is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Secret,
    Match,
    Line,
}

/// A finding is let through (not redacted) when an allowlist allows it.
#[derive(Debug)]
pub struct Allowlist {
    target: Target,
    regexes: Vec<Regex>,
    /// Lower-cased.
    stopwords: Vec<String>,
    /// `AND`: every condition given must hold.
    all: bool,
    /// Whether the allowlist names paths. Exports are not files in a repository, so a path
    /// condition never holds: an `OR` allowlist still applies through its other conditions, an
    /// `AND` one never does. Redacting more than gitleaks would report is the safe side.
    has_paths: bool,
}

impl Allowlist {
    pub fn compile(def: &AllowlistDef) -> Result<Self, String> {
        let target = match def.regex_target.as_deref() {
            None | Some("secret") => Target::Secret,
            Some("match") => Target::Match,
            Some("line") => Target::Line,
            Some(other) => return Err(format!("unknown regexTarget `{other}`")),
        };
        let regexes = def.regexes.iter().map(|r| compile(r)).collect::<Result<_, _>>()?;
        Ok(Self {
            target,
            regexes,
            stopwords: def.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
            all: def.condition.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("and")),
            has_paths: !def.paths.is_empty(),
        })
    }

    /// Whether the finding `secret`, within `whole` (the rule's match) on `line`, is allowed.
    pub fn allows(&self, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => whole,
            Target::Line => line,
        };
        let regex = (!self.regexes.is_empty()).then(|| self.regexes.iter().any(|r| r.is_match(target)));
        let stopword = (!self.stopwords.is_empty()).then(|| {
            let lower = secret.to_ascii_lowercase();
            self.stopwords.iter().any(|w| contains(&lower, w.as_bytes()))
        });
        let conditions = [regex, stopword];
        if self.all {
            !self.has_paths
                && conditions.iter().flatten().all(|&held| held)
                && conditions.iter().any(Option::is_some)
        } else {
            conditions.iter().flatten().any(|&held| held)
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// One rule, its regex compiled on first use.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    source: String,
    regex: OnceLock<Result<Regex, String>>,
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    /// Lower-cased.
    pub keywords: Vec<String>,
    pub allowlists: Vec<Allowlist>,
    /// gitleaks asks a `generic-*` rule's secret to hold a digit, which keeps words out.
    pub needs_digit: bool,
}

impl Rule {
    pub fn new(def: &RuleDef) -> Result<Option<Self>, String> {
        let Some(source) = &def.regex else { return Ok(None) };
        let allowlists = def
            .allowlists
            .iter()
            .map(Allowlist::compile)
            .collect::<Result<_, _>>()
            .map_err(|err| format!("rule {}: {err}", def.id))?;
        Ok(Some(Self {
            id: def.id.clone(),
            source: in_prose(source),
            regex: OnceLock::new(),
            secret_group: def.secret_group.filter(|&g| g > 0),
            entropy: def.entropy.filter(|&e| e > 0.0),
            keywords: def.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            allowlists,
            needs_digit: def.id.starts_with("generic"),
        }))
    }

    /// One of our own rules.
    pub fn ours(id: &str, source: &str, keywords: &[&str], allowlist: Option<Allowlist>) -> Self {
        Self {
            id: id.to_owned(),
            source: source.to_owned(),
            regex: OnceLock::new(),
            secret_group: None,
            entropy: None,
            keywords: keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            allowlists: allowlist.into_iter().collect(),
            needs_digit: false,
        }
    }

    /// The compiled regex, or why it does not compile.
    pub fn regex(&self) -> Result<&Regex, &str> {
        self.regex
            .get_or_init(|| compile(&self.source).map_err(|err| format!("rule {}: {err}", self.id)))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// The right boundary most of gitleaks' rules put after a secret: a quote, a space, a semicolon,
/// an escaped line break or the end, as code writes it.
const CODE_BOUNDARY: &str = r#"(?:[\x60'"\s;]|\\[nr]|$"#;
/// The same boundary, and the closing punctuation of prose: a key written in a rationale "(like
/// this)", at the end of a sentence or in a list is still a key.
const PROSE_BOUNDARY: &str = r#"(?:[\x60'"\s;)\]},.!?:>]|\\[nr]|$"#;

/// `source` with its right boundary widened from code's to prose's.
fn in_prose(source: &str) -> String {
    source.replace(CODE_BOUNDARY, PROSE_BOUNDARY)
}

/// Compiles a gitleaks (Go RE2) regex for bytes with Unicode off: gitleaks' patterns are ASCII
/// classes, and with Unicode on three of them exceed the default size limit and compiling all
/// takes seconds.
pub fn compile(source: &str) -> Result<Regex, String> {
    RegexBuilder::new(&from_go(source))
        .unicode(false)
        .size_limit(1 << 24)
        .build()
        .map_err(|err| err.to_string())
}

/// A Go (RE2) pattern in the syntax of the `regex` crate, which differs in two places gitleaks
/// uses: Go takes a `{` that does not start a repetition (`{{`) as a literal, and inside a class
/// takes `[`, `&&`, `--` and `~~` literally where the `regex` crate nests classes or reads set
/// operations.
pub fn from_go(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if let Some(&next) = chars.get(i + 1) {
                out.push(next);
            }
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' => in_class = false,
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class such as [:alpha:], copied whole.
                    let end = (i + 2..chars.len().saturating_sub(1))
                        .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
                        .map_or(i, |j| j + 1);
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                }
                '-' if out.ends_with('-') && !out.ends_with("\\-") => out.push('\\'),
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push(c);
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` right after `[` or `[^` is a literal.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '{' => {
                let close = chars[i + 1..].iter().position(|&c| c == '}').map(|p| i + 1 + p);
                let repetition = close.is_some_and(|end| {
                    let inner: String = chars[i + 1..end].iter().collect();
                    let (low, high) = inner.split_once(',').unwrap_or((&inner, "0"));
                    !low.is_empty()
                        && low.chars().all(|c| c.is_ascii_digit())
                        && high.chars().all(|c| c.is_ascii_digit())
                });
                match close.filter(|_| repetition) {
                    Some(end) => {
                        out.extend(&chars[i..=end]);
                        i = end + 1;
                    }
                    None => {
                        out.push_str("\\{");
                        i += 1;
                    }
                }
                continue;
            }
            '}' => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// The rules gitleaks misses: a password in a URL's user information, and a PEM private key block
/// end to end (or, when its END line is not there yet, as a key being typed or pasted is, to the
/// end of the text).
pub fn our_rules() -> Vec<Rule> {
    let placeholder = AllowlistDef {
        // `$PASSWORD`, `${PASSWORD}`, `{{ password }}`, `<password>`, `***`, `xxx`, and the words
        // themselves are what documentation writes, not secrets.
        regexes: vec![
            r"^(?:\$\{?\w+\}?|\{\{[^}]*\}\}|<[^>]*>|\*+|x+|X+|%s|pass(?:word)?|secret|changeme)$".into()
        ],
        ..AllowlistDef::default()
    };
    vec![
        Rule {
            secret_group: Some(1),
            ..Rule::ours(
                "url-password",
                r#"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/?#@'"`<>]{1,256}:([^\s/?#@'"`<>]{1,256})@[^\s@'"`<>]"#,
                &["://"],
                Some(Allowlist::compile(&placeholder).expect("a valid allowlist")),
            )
        },
        Rule::ours(
            "private-key-block",
            r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\z)",
            &["-----begin"],
            None,
        ),
    ]
}

/// The full rule set and the global allowlists.
pub fn default_rules() -> Result<(Vec<Rule>, Vec<Allowlist>), String> {
    let config: ConfigFile = toml::from_str(GITLEAKS_TOML).map_err(|err| format!("gitleaks.toml: {err}"))?;
    let mut rules = Vec::new();
    for def in &config.rules {
        if let Some(rule) = Rule::new(def)? {
            rules.push(rule);
        }
    }
    rules.extend(our_rules());
    let global = config
        .allowlist
        .iter()
        .chain(&config.allowlists)
        .map(Allowlist::compile)
        .collect::<Result<_, _>>()?;
    Ok((rules, global))
}
