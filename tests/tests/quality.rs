//! `rationale quality`: the binary reads rationales on stdin and answers each in order, with
//! `restates_diff` computed from real code (ftplib's `FTP.cwd`, pandas' `frame.py` whole) when the
//! line gives the unit before and after; bad lines are errors in their place.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Runs `rationale quality ARGS` with `input` on stdin: the exit code and the stdout lines.
fn quality(args: &[&str], input: &str) -> (i32, Vec<String>) {
    let mut child = Command::new(rationale_tests::binary::path())
        .arg("quality")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting rationale quality");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    // Written from a thread so that a large input cannot block against a full stdout pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    (output.status.code().unwrap(), stdout.lines().map(str::to_owned).collect())
}

fn answers(lines: &[String]) -> Vec<Value> {
    lines.iter().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))).collect()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `FTP.cwd` as ftplib has it, and with the reply code it tolerates changed.
fn cwd_change() -> (String, String) {
    let file = fixture("ftplib.py");
    let start = file.find("    def cwd(self, dirname):").unwrap();
    let end = start + file[start..].find("    def size(").unwrap();
    let before = file[start..end].to_owned();
    let after = before.replacen("!= '500'", "!= '550'", 1);
    assert_ne!(before, after);
    (before, after)
}

#[test]
fn each_rationale_gets_its_flags_in_order() {
    let (before, after) = cwd_change();
    let pair = |text: &str| json!({ "text": text, "before": before, "after": after }).to_string();
    let input = [
        "wip".to_owned(),
        "Move the retry loop into fetch_user".to_owned(),
        json!("Move the retry loop into fetch_user\n\nEvery caller copied it, and two had the bound wrong.")
            .to_string(),
        pair("changed '500' to '550' in cwd"),
        pair("Servers answer 550 when CDUP is refused at the root, and cwd must keep failing quietly there"),
    ]
    .join("\n");
    let (code, lines) = quality(&["--json"], &input);
    assert_eq!(code, 0, "{lines:?}");
    let answers = answers(&lines);
    let flags: Vec<&Value> = answers.iter().map(|answer| &answer["flags"]).collect();
    assert_eq!(
        flags,
        [
            &json!(["generic", "no_why"]),
            &json!(["no_why"]),
            &json!([]),
            &json!(["restates_diff", "no_why"]),
            &json!([]),
        ]
    );
    assert_eq!(answers[0]["restates_diff"], Value::Null);
    assert!(answers[3]["restates_diff"].as_f64().unwrap() >= 0.6);
    assert!(answers[4]["restates_diff"].as_f64().unwrap() < 0.6);
}

#[test]
fn a_bad_line_is_an_error_in_its_place_and_the_exit_status_says_so() {
    let input =
        "Move helpers into utils\n\"not closed\n   \n{\"text\": 3}\nRemove the Windows branch (#4521)\n";
    let (code, lines) = quality(&["--json"], input);
    assert_eq!(code, 1);
    let answers = answers(&lines);
    assert_eq!(answers.len(), 5);
    assert_eq!(answers[0]["flags"], json!(["no_why"]));
    assert!(answers[1]["error"].as_str().unwrap().contains("not a JSON string"));
    assert_eq!(answers[2]["error"], "empty rationale");
    assert!(answers[3]["error"].as_str().unwrap().contains("`text` is not a string"));
    assert_eq!(answers[4]["flags"], json!([]));
}

#[test]
fn any_script_and_a_100_kb_rationale_get_signals_quickly() {
    let big = "the parser keeps state between calls ".repeat(2_800); // about 100 KB
    let input = [
        "修复解析器在文件末尾丢失最后一个标记的问题",
        "תיקון באג בפרסר",
        "🎉🚀 ship it",
        "Fix 修复 שגיאה in façade — Ошибка",
        &big,
    ]
    .join("\n");
    let start = Instant::now();
    let (code, lines) = quality(&["--json"], &input);
    assert_eq!(code, 0);
    let answers = answers(&lines);
    assert_eq!(answers.len(), 5);
    // The lists are English: text mostly in another script is not nagged about a missing why.
    assert_eq!(answers[0]["no_why"], 0.5);
    assert_eq!(answers[1]["no_why"], 0.5);
    assert!(!answers[0]["flags"].as_array().unwrap().contains(&json!("no_why")));
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
}

#[test]
fn restates_diff_on_a_12000_line_unit_is_quick() {
    let before = fixture("pandas_frame.py");
    assert!(before.lines().count() > 10_000);
    let after = before.replacen("import collections", "import collections.abc", 1);
    assert_ne!(before, after);
    let line = json!({ "text": "import collections abc", "before": before, "after": after }).to_string();
    let start = Instant::now();
    let (code, lines) = quality(&["--json"], &format!("{line}\n{line}\n"));
    assert_eq!(code, 0);
    assert_eq!(answers(&lines)[0]["flags"], json!(["restates_diff", "no_why"]));
    // Bounded work: a few milliseconds each; generous for a loaded machine.
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[test]
fn without_json_the_answer_is_one_tab_separated_line() {
    let (code, lines) = quality(&[], "Move helpers into utils\n");
    assert_eq!(code, 0);
    assert_eq!(lines, ["no_why\tgeneric 0.25\trestates_diff -\tno_why 1.00"]);
}
