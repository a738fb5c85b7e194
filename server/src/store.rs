use std::path::Path;
pub struct Store(std::path::PathBuf);
#[derive(Debug)]
pub struct StoreError(String);
impl std::fmt::Display for StoreError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) } }
impl Store {
    pub fn open(folder: &Path) -> Result<Store, StoreError> { let d = folder.join(".rationale/sessions"); std::fs::create_dir_all(&d).map_err(|e| StoreError(e.to_string()))?; Ok(Store(d)) }
    pub fn create_journal(&self, s: &str) -> Result<std::fs::File, StoreError> { std::fs::File::create(self.0.join(format!("{s}.jsonl"))).map_err(|e| StoreError(e.to_string())) }
}
pub fn new_session_id() -> String { format!("x-{}", rand::random::<u32>()) }
