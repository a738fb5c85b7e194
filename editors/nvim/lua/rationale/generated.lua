-- Generated from the server's tables (server/src/config.rs, server/src/syntax/mod.rs)
-- by `cargo run --release -p rationale --example generate`: edit those, not this file.
return {
  --- The filetypes of the documents the server tracks.
  filetypes = { 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust' },
  --- The server's settings: `name` in vim.g.rationale (snake_case, as in rationale.toml),
  --- `server_key` as the server reads it, what values it takes and its default.
  settings = {
    { name = 'author', server_key = 'author', type = 'line', min_chars = 0, expected = 'one line of text; blank: work it out' },
    { name = 'settle_ms', server_key = 'settleMs', type = 'integer', minimum = 0, maximum = 600000, default = 3000, expected = 'a whole number from 0 to 600000 (10 minutes)' },
    { name = 'min_rationale_chars', server_key = 'minRationaleChars', type = 'integer', minimum = 1, maximum = 1000, default = 15, expected = 'a whole number from 1 to 1000' },
    { name = 'codelens', server_key = 'codelens', type = 'boolean', default = false, expected = 'true or false' },
    { name = 'exclude', server_key = 'exclude', type = 'globs', default = { '.env*', '*.pem', '*.key', '**/secrets*', '**/node_modules/**' }, expected = 'a list of globs with .gitignore syntax' },
    { name = 'why_marker', server_key = 'whyMarker', type = 'line', min_chars = 1, max_chars = 40, default = 'why:', expected = 'one line of text, 1 to 40 characters' },
    { name = 'max_file_bytes', server_key = 'maxFileBytes', type = 'integer', minimum = 1, maximum = 1073741824, default = 2097152, expected = 'a whole number from 1 to 1073741824 (1 GiB)' },
    { name = 'nudge', server_key = 'nudge', type = 'boolean', default = true, expected = 'true or false' },
  },
}
