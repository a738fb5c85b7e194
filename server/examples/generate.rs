//! Writes the files generated from the server's tables (the editors' settings and language lists,
//! the tables of the docs; see `rationale::generated`), and says which changed. The test
//! `generated::tests::the_generated_files_are_as_the_tables_say` fails until they are written.
//!
//! An example rather than a subcommand of `rationale`: it is for the people who change the
//! tables, needs only cargo, and keeps the shipped command line to what users run.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match rationale::generated::write(&root) {
        Ok(written) if written.is_empty() => {
            eprintln!("every generated file is up to date");
            ExitCode::SUCCESS
        }
        Ok(written) => {
            for path in written {
                eprintln!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("generate: {why}");
            ExitCode::FAILURE
        }
    }
}
