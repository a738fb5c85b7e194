//! The names editors send: the `rationale/*` requests and the commands of
//! `workspace/executeCommand`. `routes` routes them; the handlers and `to_proto` name them in
//! messages, capabilities and code actions.

/// The `rationale/*` requests.
pub const PENDING_CHANGES: &str = "rationale/pendingChanges";
pub const CHANGE_TEXTS: &str = "rationale/changeTexts";
pub const SESSIONS: &str = "rationale/sessions";
pub const TIMELINE: &str = "rationale/timeline";
pub const REPLAY: &str = "rationale/replay";
pub const REVIEW: &str = "rationale/review";
pub const REVIEW_QUEUE: &str = "rationale/reviewQueue";

/// The commands of `workspace/executeCommand`.
pub const RECORD: &str = "rationale.record";
pub const SKIP: &str = "rationale.skip";
/// Inserts a why-comment; only an editor without a Rationale plugin sends it to the server.
pub const EXPLAIN: &str = "rationale.explain";
pub const COMMANDS: [&str; 3] = [RECORD, SKIP, EXPLAIN];
