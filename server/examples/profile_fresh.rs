use rationale::journal::record::NameVersion;
use rationale::session::{Identity, Session};
use rationale::text::{Encoding, Position, TextChange};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let file = std::env::args().nth(1).unwrap();
    let rounds: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(50);
    let text = std::fs::read_to_string(&file).unwrap();
    let dir = std::env::temp_dir().join(format!("prof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = PathBuf::from(&file).file_name().unwrap().to_owned();
    let path = dir.join(&name);
    std::fs::write(&path, &text).unwrap();
    let identity = Identity {
        id: "s-abc".into(),
        encoding: Encoding::Utf16,
        client: NameVersion { name: "p".into(), version: None },
    };
    let session = Session::new(identity, vec![dir.clone()], None, Arc::new(|_| {}));
    session.open("k", Some(&path), 1, &text);
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.len() / 2;
    let mut column = lines[line].encode_utf16().count() as u32;
    let mut version = 2;
    let mut total = 0.0;
    let mut keys = 0.0;
    for round in 0..rounds {
        let k = Instant::now();
        for ch in " // keep the handlers bound ".chars().cycle().take(200) {
            let p = Position::new(line as u32, column);
            session
                .change("k", version, &[TextChange { range: Some((p, p)), text: ch.to_string() }])
                .unwrap();
            version += 1;
            column += 1;
        }
        keys += k.elapsed().as_secs_f64() * 1e6 / 200.0;
        let t = Instant::now();
        let answer = session.pending_changes(Some("k"));
        let e = t.elapsed().as_secs_f64() * 1e6;
        if round > 0 {
            total += e;
        }
        assert!(!answer[0].changes.is_empty());
    }
    println!("mean fresh {:.0} µs; keystroke {:.2} µs", total / (rounds - 1) as f64, keys / rounds as f64);
    let _ = std::fs::remove_dir_all(&dir);
}
