// Generated from the server's tables (server/src/config.rs, server/src/syntax/mod.rs)
// by `cargo run --release -p rationale --example generate`: edit those, not this file.

/** The settings the server reads, by their names in the editor (camelCase). */
export const SERVER_KEYS = ['author', 'settleMs', 'minRationaleChars', 'codelens', 'exclude', 'whyMarker', 'maxFileBytes', 'nudge'] as const;

/** The language ids of the documents the server tracks. */
export const LANGUAGES: readonly string[] = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust'];
