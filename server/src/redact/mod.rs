//! Secret redaction: every text an export writes passes through [`Redactor::redact`], which
//! replaces each secret with `<redacted:RULE-ID>`.
//!
//! The rules are gitleaks' default configuration (pinned in `server/assets/gitleaks/`) and two of
//! our own, `url-password` (`scheme://user:PASSWORD@host`) and `private-key-block` (a PEM private
//! key from its BEGIN line to its END line, or to the end of the text while the END line is not
//! there). gitleaks' semantics are kept where they apply to text:
//! - a rule runs only on a text holding one of its `keywords` (an Aho-Corasick automaton over all
//!   keywords, ASCII case-insensitive, finds which);
//! - the secret is the rule's `secretGroup`, else its first non-empty group, else the whole match;
//!   only the secret is replaced, so `token = "<redacted:github-pat>"` keeps its context;
//! - a secret whose Shannon entropy is not above the rule's `entropy` is not one, nor is the
//!   secret of a `generic-*` rule without a digit;
//! - allowlists, global and per rule, by `regexes` (against the secret, the match or the line, as
//!   `regexTarget` says) and `stopwords`; `paths` never hold, since an export is not a file tree.
//!
//! One change to gitleaks' rules: the right boundary most of them want after a secret (a quote,
//! a space, `;`) also takes the closing punctuation of prose, since rationales are prose.
//!
//! Overlapping findings merge into one replacement, named after the first that is not a
//! `generic-*` rule. A row's secrets, once found, are looked for again in every text of the row,
//! with their prefixes of six characters or more, wherever they cut no word in two
//! ([`Redactor::redact_known`]): the half-typed key of an edit, never the start of an identifier.

pub mod rules;

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use rules::{Allowlist, Rule};

/// A secret found in a text: its bytes and the rule that found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub bytes: Vec<u8>,
    pub rule: usize,
}

pub struct Redactor {
    rules: Vec<Rule>,
    global: Vec<Allowlist>,
    keywords: AhoCorasick,
    /// For each keyword of `keywords`, the rules it wakes.
    woken: Vec<Vec<usize>>,
    /// Rules without keywords run on every text.
    always: Vec<usize>,
    /// Replacements made, by rule.
    counts: Vec<u64>,
}

/// The shortest prefix of a known secret that is still redacted where it appears alone (a secret
/// typed one character at a time passes through every prefix of itself).
const KNOWN_PREFIX: usize = 6;

/// The shortest prefix of a known secret that is redacted even where a word goes on right after
/// it (a key typed in front of the rest of a line): no name shares this much of a key by chance.
const KNOWN_WHOLE: usize = 16;

impl Redactor {
    /// The default rule set.
    pub fn new() -> Result<Self, String> {
        let (rules, global) = rules::default_rules()?;
        Ok(Self::with_rules(rules, global))
    }

    pub fn with_rules(rules: Vec<Rule>, global: Vec<Allowlist>) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut woken: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(index);
            }
            for keyword in &rule.keywords {
                match patterns.iter().position(|p| p == keyword) {
                    Some(at) => woken[at].push(index),
                    None => {
                        patterns.push(keyword.clone());
                        woken.push(vec![index]);
                    }
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("keywords always build an automaton");
        let counts = vec![0; rules.len()];
        Self { rules, global, keywords, woken, always, counts }
    }

    /// The replacements made so far, by rule id (sorted).
    pub fn counts(&self) -> BTreeMap<&str, u64> {
        let mut counts = BTreeMap::new();
        for (rule, &count) in self.rules.iter().zip(&self.counts) {
            if count > 0 {
                *counts.entry(rule.id.as_str()).or_default() += count;
            }
        }
        counts
    }

    /// The counts as they stand, to [`Redactor::rollback`] to when a text is redacted again.
    pub fn checkpoint(&self) -> Vec<u64> {
        self.counts.clone()
    }

    pub fn rollback(&mut self, counts: Vec<u64>) {
        self.counts = counts;
    }

    /// `text` with every secret replaced; the secrets found are added to `found`.
    pub fn redact(&mut self, text: &str, found: &mut Vec<Secret>) -> String {
        let spans = self.find(text.as_bytes());
        self.replace(text, spans, found)
    }

    /// Like [`Redactor::redact`], and also replaces every appearance of a secret of `known` (or
    /// of a prefix of it at least `KNOWN_PREFIX` bytes long) that cuts no word in two: the
    /// history of a text that ends up holding a secret holds its prefixes too, which no rule
    /// recognises.
    pub fn redact_known(&mut self, text: &str, known: &[Secret], found: &mut Vec<Secret>) -> String {
        let mut spans = self.find(text.as_bytes());
        if !known.is_empty() {
            spans.extend(known_spans(text, known));
            spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        }
        self.replace(text, spans, found)
    }

    /// Every finding in `text`: (start, end, rule), sorted by start, longest first.
    fn find(&self, text: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut candidates: Vec<usize> = self.always.clone();
        for hit in self.keywords.find_overlapping_iter(text) {
            candidates.extend(&self.woken[hit.pattern().as_usize()]);
        }
        if candidates.is_empty() {
            return Vec::new();
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut spans = Vec::new();
        for index in candidates {
            let rule = &self.rules[index];
            let Ok(regex) = rule.regex() else { continue };
            for captures in regex.captures_iter(text) {
                let whole = captures.get(0).expect("group 0 always matches");
                let secret = match rule.secret_group {
                    Some(group) => captures.get(group),
                    None => (1..captures.len()).find_map(|g| captures.get(g).filter(|m| !m.is_empty())),
                }
                .unwrap_or(whole);
                if secret.is_empty() {
                    continue;
                }
                let bytes = secret.as_bytes();
                if rule.entropy.is_some_and(|least| entropy(bytes) <= least) {
                    continue;
                }
                if rule.needs_digit && !bytes.iter().any(u8::is_ascii_digit) {
                    continue;
                }
                let line = line_around(text, whole.start(), whole.end());
                let allowed = self
                    .global
                    .iter()
                    .chain(&rule.allowlists)
                    .any(|list| list.allows(bytes, whole.as_bytes(), line));
                if !allowed {
                    spans.push((secret.start(), secret.end(), index));
                }
            }
        }
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        spans
    }

    fn replace(&mut self, text: &str, spans: Vec<(usize, usize, usize)>, found: &mut Vec<Secret>) -> String {
        if spans.is_empty() {
            return text.to_owned();
        }
        // Merge overlaps; widen to character boundaries (the regexes work on bytes).
        let mut merged: Vec<(usize, usize, usize)> = Vec::new();
        for (start, end, rule) in spans {
            let start = floor_boundary(text, start);
            let end = ceil_boundary(text, end);
            match merged.last_mut() {
                Some(last) if start < last.1 => {
                    last.1 = last.1.max(end);
                    // A specific rule names the secret better than a generic one.
                    if self.rules[last.2].needs_digit && !self.rules[rule].needs_digit {
                        last.2 = rule;
                    }
                }
                _ => merged.push((start, end, rule)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, rule) in merged {
            out.push_str(&text[at..start]);
            out.push_str("<redacted:");
            out.push_str(&self.rules[rule].id);
            out.push('>');
            self.counts[rule] += 1;
            let secret = Secret { bytes: text.as_bytes()[start..end].to_vec(), rule };
            if !found.contains(&secret) {
                found.push(secret);
            }
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Where a known secret, or a prefix of it of at least [`KNOWN_PREFIX`] bytes, appears in `text`.
/// Each line of a multi-line secret (a PEM block) counts as a secret of its own, since a diff
/// shows a line apart from the others.
///
/// An appearance counts only where it cuts no word (a run of letters, digits and underscores) in
/// two: it stands as a whole token, or runs to the end of the text (the key half-typed at the end
/// of an edit). Code is full of identifiers that start like a key (`ed25519PublicKey` beside a
/// key that starts `ed25519P`), and a replacement inside one leaves a mangled name
/// (`<redacted:...>ublicKey`) in the data and no secret out of it. Where a word goes on right
/// after it, it still counts if it can be no name: if it holds a character no name holds (the
/// `/` and `+` of base64, a `-` or a `.`) or is [`KNOWN_WHOLE`] bytes or more, as a key typed in
/// front of the rest of a line is (`4DJlU0w/PBreturn null;`).
fn known_spans(text: &str, known: &[Secret]) -> Vec<(usize, usize, usize)> {
    let haystack = text.as_bytes();
    let mut spans = Vec::new();
    for secret in known {
        let lines = secret.bytes.split(|&b| b == b'\n').filter(|_| secret.bytes.contains(&b'\n'));
        for bytes in std::iter::once(&secret.bytes[..]).chain(lines) {
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.len() < KNOWN_PREFIX.min(secret.bytes.len()) || bytes.is_empty() {
                continue;
            }
            let head = &bytes[..bytes.len().min(KNOWN_PREFIX)];
            let mut from = 0;
            while let Some(offset) = find_bytes(&haystack[from..], head) {
                let start = from + offset;
                let same = haystack[start..].iter().zip(bytes).take_while(|(a, b)| a == b).count();
                let end = start + same;
                // Where a word goes on right after it, the secret was typed in front of the rest
                // of a line (the edit ended there), or a name starts like it. A name holds only
                // word characters, and shares a few with a key, not sixteen.
                let no_name = same >= KNOWN_WHOLE || !haystack[start..end].iter().all(|&b| is_word_byte(b));
                if !cuts_a_word(text, start) && (no_name || !cuts_a_word(text, end)) {
                    spans.push((start, end, secret.rule));
                }
                from = start + same.max(1);
            }
        }
    }
    spans
}

/// Whether `byte` is (part of) a word character: an ASCII letter, digit or underscore, or any
/// byte of a character beyond ASCII.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

/// Whether byte `at` of `text` falls inside a word, between two of its characters (a byte
/// inside a character counts as that character's start). The ends of the text cut nothing.
fn cuts_a_word(text: &str, at: usize) -> bool {
    let at = floor_boundary(text, at.min(text.len()));
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    before.is_some_and(is_word) && after.is_some_and(is_word)
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The line that holds `start..end` (lines that a multi-line match spans, joined).
fn line_around(text: &[u8], start: usize, end: usize) -> &[u8] {
    let from = text[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let to = text[end..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| end + i);
    &text[from..to]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Shannon entropy in bits per byte, as gitleaks computes it over the secret's characters.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random characters from `alphabet`, so that no test source holds anything that looks
    /// like a real key.
    fn random(seed: u64, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                chars[(state >> 33) as usize % chars.len()]
            })
            .collect()
    }

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    fn redact(text: &str) -> String {
        let mut redactor = Redactor::new().unwrap();
        redactor.redact(text, &mut Vec::new())
    }

    #[test]
    fn every_gitleaks_rule_compiles_and_ours_are_there() {
        let redactor = Redactor::new().unwrap();
        for rule in &redactor.rules {
            rule.regex().unwrap();
        }
        assert!(redactor.rules.len() >= 220, "{}", redactor.rules.len());
        for ours in ["url-password", "private-key-block"] {
            assert!(redactor.rules.iter().any(|r| r.id == ours));
        }
    }

    #[test]
    fn go_patterns_are_translated() {
        use rules::from_go;
        assert_eq!(from_go(r"\$?{{[^}]+}}"), r"\$?\{\{[^}]+\}\}");
        assert_eq!(from_go(r"a{2,}b{1,3}c{3}"), r"a{2,}b{1,3}c{3}");
        assert_eq!(from_go(r"[]a[&~]x"), r"[\]a\[\&\~]x");
        assert_eq!(from_go(r"[[:alpha:]]"), r"[[:alpha:]]");
        assert_eq!(from_go(r"\{x\}"), r"\{x\}");
    }

    #[test]
    fn a_token_is_replaced_and_its_context_kept() {
        let token = format!("{}{}", "ghp", "_") + &random(1, ALNUM, 36);
        let text = format!("TOKEN = \"{token}\"\nprint(TOKEN)\n");
        assert_eq!(redact(&text), "TOKEN = \"<redacted:github-pat>\"\nprint(TOKEN)\n");
    }

    #[test]
    fn passwords_in_urls_are_replaced_but_placeholders_are_not() {
        let password = random(2, ALNUM, 14);
        let text = format!("db = 'postgres://app:{password}@db.internal:5432/app'");
        assert_eq!(redact(&text), "db = 'postgres://app:<redacted:url-password>@db.internal:5432/app'");
        for placeholder in ["${DB_PASSWORD}", "<password>", "****"] {
            let text = format!("url = \"postgres://app:{placeholder}@db/app\"");
            assert_eq!(redact(&text), text);
        }
    }

    #[test]
    fn a_pem_block_goes_whole_and_a_half_typed_one_to_the_end() {
        let body: Vec<String> = (0..5).map(|i| random(10 + i, ALNUM, 64)).collect();
        let kind = "RSA PRIVATE KEY";
        let block = format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----", body.join("\n"));
        let text = format!("KEY = \"\"\"\n{block}\n\"\"\"\nx = 1\n");
        let out = redact(&text);
        assert!(out.starts_with("KEY = \"\"\"\n<redacted:"), "{out}");
        assert!(out.ends_with(">\n\"\"\"\nx = 1\n"), "{out}");
        assert!(!out.contains(&body[2]), "{out}");
        let half = format!("KEY = \"\"\"\n-----BEGIN {kind}-----\n{}\n{}", body[0], &body[1][..20]);
        let out = redact(&half);
        assert_eq!(out, "KEY = \"\"\"\n<redacted:private-key-block>");
    }

    #[test]
    fn low_entropy_and_allowlisted_values_are_kept() {
        assert_eq!(redact("api_key = \"aaaaaaaaaaaaaaaa\""), "api_key = \"aaaaaaaaaaaaaaaa\"");
        // gitleaks' own allowlist for AWS keys: documentation examples end in EXAMPLE.
        let example = format!("{}{}EXAMPLE", "AKIA", "IOSFODNN7");
        assert_eq!(redact(&format!("id = {example}")), format!("id = {example}"));
        let generic = random(3, ALNUM, 24);
        let out = redact(&format!("api_key = \"{generic}\""));
        assert_eq!(out, "api_key = \"<redacted:generic-api-key>\"");
    }

    #[test]
    fn known_secrets_are_redacted_wherever_their_prefixes_appear() {
        let mut redactor = Redactor::new().unwrap();
        let token = format!("{}{}", "ghp", "_") + &random(4, ALNUM, 36);
        let mut found = Vec::new();
        let done = redactor.redact(&format!("t = '{token}'"), &mut found);
        assert_eq!(done, "t = '<redacted:github-pat>'");
        assert_eq!(found.len(), 1);
        let typing = format!("t = '{}", &token[..20]);
        let out = redactor.redact_known(&typing, &found, &mut Vec::new());
        assert_eq!(out, "t = '<redacted:github-pat>");
        assert_eq!(redactor.counts().get("github-pat"), Some(&2));
    }

    /// A row's secret found by a rule, and a redactor that has seen it.
    fn known_generic_key(seed: u64) -> (Redactor, String, Vec<Secret>) {
        let mut redactor = Redactor::new().unwrap();
        let key = random(seed, ALNUM, 24);
        let mut found = Vec::new();
        let done = redactor.redact(&format!("api_key = \"{key}\""), &mut found);
        assert_eq!(done, "api_key = \"<redacted:generic-api-key>\"");
        assert_eq!(found.len(), 1, "{found:?}");
        (redactor, key, found)
    }

    #[test]
    fn an_identifier_that_starts_like_a_known_secret_is_left_whole() {
        let (mut redactor, key, found) = known_generic_key(6);
        for shared in [6, 8, 12] {
            // The identifier goes on with a letter the key does not have there.
            let next = if key.as_bytes()[shared] == b'Q' { "Rest" } else { "Qrest" };
            let identifier = format!("{}{next}", &key[..shared]);
            let texts = [
                format!("enc.publicKey = {identifier}\n"),
                format!("func Test(t *testing.T) {{\n\tif got := {identifier}(); got != nil {{\n"),
                format!("Rename {identifier} before the release."),
                // A word that holds the key's start further in is no token of it either.
                format!("x := my{}\n", &key[..shared]),
                format!("see x{identifier}_y"),
            ];
            for text in texts {
                let out = redactor.redact_known(&text, &found, &mut Vec::new());
                assert_eq!(out, text, "{shared} characters shared");
            }
        }
        assert_eq!(redactor.counts().get("generic-api-key"), Some(&1), "{:?}", redactor.counts());
    }

    #[test]
    fn a_known_secret_typed_halfway_is_still_caught() {
        let (mut redactor, key, found) = known_generic_key(7);
        for typed in [6, 8, 12, 23, 24] {
            let prefix = &key[..typed];
            let cases = [
                // At the end of the text: the edit that typed it so far.
                (format!("api_key = \"{prefix}"), "api_key = \"<redacted:generic-api-key>".to_owned()),
                // As a whole token: between quotes, on a diff's line, in prose.
                (format!("api_key = \"{prefix}\""), "api_key = \"<redacted:generic-api-key>\"".to_owned()),
                (
                    format!("@@ -1 +1 @@\n-k = 1\n+k = {prefix}\n"),
                    "@@ -1 +1 @@\n-k = 1\n+k = <redacted:generic-api-key>\n".to_owned(),
                ),
                (
                    format!("I pasted {prefix} by mistake."),
                    "I pasted <redacted:generic-api-key> by mistake.".to_owned(),
                ),
                // Typed in front of the rest of a line: caught from sixteen characters on, which
                // no name shares with a key by chance.
                (
                    format!("k = {prefix}return 1"),
                    if typed >= 16 {
                        "k = <redacted:generic-api-key>return 1".to_owned()
                    } else {
                        format!("k = {prefix}return 1")
                    },
                ),
            ];
            for (text, want) in cases {
                assert_eq!(redactor.redact_known(&text, &found, &mut Vec::new()), want, "{typed} typed");
            }
        }
    }

    #[test]
    fn a_known_secret_that_no_name_could_be_is_caught_in_front_of_a_word() {
        let mut redactor = Redactor::new().unwrap();
        let body: Vec<String> = (0..3).map(|i| random(30 + i, ALNUM, 60)).collect();
        let line = format!("{}/{}+{}", &body[0][..4], &body[1][..4], body[2]);
        let kind = "EC PRIVATE KEY";
        let block = format!("-----BEGIN {kind}-----\n{line}\n-----END {kind}-----");
        let mut found = Vec::new();
        redactor.redact(&format!("k = `{block}`"), &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        // Typed at the start of a line that goes on: with a `/` in it (from the fifth character),
        // it is no name.
        for typed in [6, 9, 12, 20] {
            let hunk = format!("@@ -5,1 +5,1 @@\n-return null;\n+{}return null;\n", &line[..typed]);
            let out = redactor.redact_known(&hunk, &found, &mut Vec::new());
            let redacted = "<redacted:private-key>";
            assert_eq!(
                out,
                format!("@@ -5,1 +5,1 @@\n-return null;\n+{redacted}return null;\n"),
                "{typed} typed"
            );
        }
    }

    #[test]
    fn a_line_of_a_known_pem_block_is_redacted_in_a_diff() {
        let mut redactor = Redactor::new().unwrap();
        let body: Vec<String> = (0..4).map(|i| random(20 + i, ALNUM, 64)).collect();
        let kind = "EC PRIVATE KEY";
        let block = format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----", body.join("\n"));
        let mut found = Vec::new();
        redactor.redact(&format!("k = '''{block}'''"), &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        let hunk = format!("@@ -3,2 +3,2 @@\n {}\n-{}\n+{}\n", body[1], &body[2][..10], &body[2][..30]);
        let out = redactor.redact_known(&hunk, &found, &mut Vec::new());
        for line in &body[1..3] {
            assert!(!out.contains(&line[..10]), "{out}");
        }
    }

    #[test]
    fn multibyte_text_around_a_secret_survives() {
        let password = random(5, ALNUM, 12);
        let text = format!("é → redis://u:{password}@h ✓");
        assert_eq!(redact(&text), "é → redis://u:<redacted:url-password>@h ✓");
    }

    const HEX: &str = "0123456789abcdef";
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    /// A key of each of sixteen families that the export tests do not plant, with the rule that
    /// must name it, made from seeded random characters (each prefix is split so that this source
    /// holds nothing a scanner would flag).
    fn families() -> Vec<(&'static str, String)> {
        let r = |seed, alphabet, n| random(seed, alphabet, n);
        vec![
            ("gitlab-pat", ["glp", "at-"].concat() + &r(20, BASE64URL, 20)),
            ("anthropic-api-key", ["sk-ant-", "api03-"].concat() + &r(21, BASE64URL, 93) + "AA"),
            ("gcp-api-key", ["AI", "za"].concat() + &r(22, BASE64URL, 35)),
            ("sendgrid-api-token", ["S", "G."].concat() + &r(23, ALNUM, 22) + "." + &r(24, ALNUM, 43)),
            ("npm-access-token", ["np", "m_"].concat() + &r(25, ALNUM, 36)),
            ("pypi-upload-token", ["pypi-AgEIcHl", "waS5vcmc"].concat() + &r(26, BASE64URL, 60)),
            ("shopify-access-token", ["shp", "at_"].concat() + &r(27, HEX, 32)),
            (
                "jwt",
                format!(
                    "e{}.e{}.{}",
                    "y".to_owned() + &r(28, ALNUM, 30),
                    "y".to_owned() + &r(29, ALNUM, 40),
                    r(30, BASE64URL, 43)
                ),
            ),
            ("databricks-api-token", ["da", "pi"].concat() + &r(31, HEX, 32)),
            ("huggingface-access-token", ["h", "f_"].concat() + &r(32, LOWER, 34)),
            ("postman-api-token", format!("{}{}-{}", ["PM", "AK-"].concat(), r(33, HEX, 24), r(34, HEX, 34))),
            ("pulumi-api-token", ["pu", "l-"].concat() + &r(35, HEX, 40)),
            (
                "grafana-service-account-token",
                format!("{}{}_{}", ["gl", "sa_"].concat(), r(36, ALNUM, 32), r(37, HEX, 8)),
            ),
            ("digitalocean-access-token", ["do", "o_v1_"].concat() + &r(38, HEX, 64)),
            ("linear-api-key", ["lin_", "api_"].concat() + &r(39, ALNUM, 40)),
            ("twilio-api-key", ["S", "K"].concat() + &r(40, HEX, 32)),
        ]
    }

    #[test]
    fn keys_of_sixteen_more_families_are_caught_in_code_and_in_prose() {
        let mut redactor = Redactor::new().unwrap();
        for (rule, key) in families() {
            let replaced = format!("<redacted:{rule}>");
            let texts = [
                format!("API_KEY = \"{key}\"\n"),
                format!("headers = {{'Authorization': '{key}'}}"),
                format!("The old key ({key}) was rotated."),
                format!("Rotated the key {key}."),
                format!("Keys tried: [{key}], none worked."),
                format!("Use {key}, then the fallback."),
                format!("Is it {key}? No: the one after."),
            ];
            for text in &texts {
                let out = redactor.redact(text, &mut Vec::new());
                assert!(!out.contains(&key), "{rule}: the key survived in {out:?}");
                assert!(out.contains(&replaced), "{rule}: expected {replaced} in {out:?}");
            }
        }
    }

    #[test]
    fn an_openssh_private_key_goes_whole() {
        let body: Vec<String> = (0..6).map(|i| random(50 + i, ALNUM, 70)).collect();
        let kind = ["OPENSSH PRIV", "ATE KEY"].concat();
        let block = format!("-----BEGIN {kind}-----\n{}\n-----END {kind}-----\n", body.join("\n"));
        let out = redact(&format!("Pasted the deploy key by mistake:\n{block}(removed next)."));
        for line in &body {
            assert!(!out.contains(&line[..16]), "{out}");
        }
        assert!(out.ends_with("(removed next)."), "{out}");
    }

    #[test]
    fn closing_punctuation_in_code_is_not_taken_into_the_key() {
        let key = ["np", "m_"].concat() + &random(41, ALNUM, 36);
        let out = redact(&format!("login({key}); tokens[{key}]"));
        assert_eq!(out, "login(<redacted:npm-access-token>); tokens[<redacted:npm-access-token>]");
    }
}
