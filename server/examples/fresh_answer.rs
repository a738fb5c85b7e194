//! The cost of a fresh answer inside the server, without the protocol: a session follows one real
//! file, and in each round 200 keystrokes are typed at the end of its middle line (as the stdio
//! benchmark types them) and the pending changes are asked for. Prints the mean time of an answer
//! (the first round, which takes stock of the open, left out) beside the mean time of one bare
//! reparse of the same 200 keystrokes into the same text, right after a full parse and by a tree
//! kept since the last round; then the time of a keystroke, and the change the last answer
//! reported with the sizes of its texts. For profiling (`perf record`) what
//! `cargo bench --bench stdio` measures end to end:
//!
//! ```sh
//! cargo run --release -p rationale --example fresh_answer -- tests/fixtures/code/jquery.js 30
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rationale::journal::record::NameVersion;
use rationale::session::{Identity, Session};
use rationale::text::{Encoding, Position, TextChange};

#[path = "../benches/common/floor.rs"]
mod floor;

fn main() {
    rationale::syntax::free_small_blocks_at_once();
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: fresh_answer FILE [ROUNDS]");
    let rounds: usize = args.next().map_or(30, |n| n.parse().expect("ROUNDS is a number")).max(2);
    let text = std::fs::read_to_string(&file).expect("the file");
    let dir = std::env::temp_dir().join(format!("rationale-fresh-answer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(PathBuf::from(&file).file_name().unwrap());
    std::fs::write(&path, &text).unwrap();

    let client = NameVersion { name: "fresh_answer".into(), version: None };
    let identity = Identity { id: "20261202T000000Z-bench0".into(), encoding: Encoding::Utf16, client };
    let session = Session::new(identity, vec![dir.clone()], None, Arc::new(|_| {}));
    session.open("doc", Some(&path), 1, &text);

    let lines: Vec<&str> = text.lines().collect();
    let line = (lines.len() / 2) as u32;
    let mut column = lines[line as usize].encode_utf16().count() as u32;
    let mut version = 1;
    let language = rationale::syntax::language_for_path(&path).expect("a language Rationale follows");
    let typed: String = " // keep the handlers bound ".chars().cycle().take(200).collect();
    // The text the session holds before each round, and the byte column its typing starts at.
    let (mut held, mut byte_column) = (text.clone(), lines[line as usize].len() as u32);
    let (mut answers, mut reparses, mut kept_reparses, mut keystrokes) = (0.0, 0.0, 0.0, 0.0);
    let mut kept = floor::Kept::new(&held, language.grammar());
    for round in 0..rounds {
        let typing = Instant::now();
        for ch in typed.chars() {
            let at = Position::new(line, column);
            version += 1;
            column += 1;
            let change = TextChange { range: Some((at, at)), text: ch.to_string() };
            session.change("doc", version, vec![change]).expect("the keystroke applies");
        }
        keystrokes += typing.elapsed().as_secs_f64() * 1e6 / 200.0;
        let asked = Instant::now();
        let answer = session.pending_changes(Some("doc"));
        if round > 0 {
            answers += asked.elapsed().as_secs_f64() * 1e6;
            reparses += floor::floor_once(&held, language.grammar(), line, byte_column, &typed);
        }
        let kept_reparse = kept.reparse(line, byte_column, &typed);
        if round > 0 {
            kept_reparses += kept_reparse;
        }
        held = floor::typed_into(&held, line, byte_column, &typed);
        byte_column += typed.len() as u32;
        if round + 1 == rounds {
            for view in &answer[0].changes {
                let change = &view.change;
                println!(
                    "{} {:?}: before {} bytes, after {}",
                    change.name,
                    change.kind,
                    change.before.len(),
                    change.after.len()
                );
            }
        }
    }
    let mean = |total: f64| total / (rounds - 1) as f64;
    let (answer, reparse, kept_reparse) = (mean(answers), mean(reparses), mean(kept_reparses));
    println!(
        "fresh answer {answer:.0} µs vs one bare reparse {reparse:.0} µs (means of {}): ratio {:.2}; \
         the same reparse of a kept tree {kept_reparse:.0} µs, ratio {:.2}; keystroke {:.2} µs",
        rounds - 1,
        answer / reparse,
        answer / kept_reparse,
        keystrokes / rounds as f64
    );
    session.end(rationale::journal::EndReason::Shutdown);
    let _ = std::fs::remove_dir_all(&dir);
}
