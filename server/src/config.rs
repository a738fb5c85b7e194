use std::path::Path;
#[derive(Clone, Debug)]
pub struct Config { pub author: Option<String>, pub settle_ms: u64, pub min_rationale_chars: usize, pub codelens: bool, pub exclude: Vec<String>, pub why_marker: String }
pub struct ConfigProblem { pub source: String, pub key: String, pub message: String }
impl std::fmt::Display for ConfigProblem { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.message) } }
impl Config {
    pub fn load(_folder: &Path) -> (Config, Vec<ConfigProblem>) { (Config { author: None, settle_ms: 3000, min_rationale_chars: 15, codelens: true, exclude: vec![], why_marker: "why:".into() }, vec![]) }
    pub fn apply_editor(&mut self, _s: &serde_json::Value) -> Vec<ConfigProblem> { vec![] }
}
pub fn resolve_author(c: Option<&str>, _f: &Path) -> String { c.unwrap_or("x").into() }
