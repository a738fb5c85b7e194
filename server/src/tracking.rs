use std::path::Path;
use crate::config::ConfigProblem;
pub struct Exclusions;
impl Exclusions {
    pub fn new(_f: &Path, _p: &[String]) -> (Exclusions, Vec<ConfigProblem>) { (Exclusions, vec![]) }
    pub fn excludes(&self, _p: &Path) -> bool { false }
}
pub fn relative_path(folder: &Path, path: &Path) -> Option<String> { path.strip_prefix(folder).ok().map(|p| p.to_string_lossy().into_owned()) }
