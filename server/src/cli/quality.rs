//! `rationale quality [--json]`: the quality signals of rationales read from standard input, one
//! answer a line, in order. The signals themselves are `crate::quality`'s; this file reads lines
//! and writes answers.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::quality::{self, Change, Signal, Signals};

#[derive(clap::Args)]
#[command(after_help = "\
Reads rationales from standard input, one a line, each either
  - plain text (the whole line),
  - a JSON string (\"Fix the parser\\n\\nIt dropped the last token.\"), for text with line breaks,
  - a JSON object {\"text\": ..., \"before\": ..., \"after\": ...}: the rationale and the unit's text
    before and after its change, which restates_diff needs (without them it is null).
Prints one answer a line, in order. With --json each answer is a JSON object:
  {\"flags\":[\"no_why\"],\"generic\":0.25,\"no_why\":1.0,\"restates_diff\":null}
Without it, the flags (or `-`) and the scores, separated by tabs. A line that cannot be read, or an
empty rationale (refused at record time too), gets {\"error\": ...} (or `error: ...`) in its place.
See docs/quality.md for what each signal means.

Exit status: 0, or 1 if any line was an error.")]
pub struct Args {
    /// One JSON object a line instead of tab-separated text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    match execute(stdin, &mut out, args.json).and_then(|errors| out.flush().map(|()| errors)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rationale quality: {error}");
            ExitCode::from(1)
        }
    }
}

/// Answers every line of `input` on `out`; returns how many lines were errors.
fn execute(mut input: impl BufRead, out: &mut impl Write, json: bool) -> io::Result<usize> {
    let mut errors = 0;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            return Ok(errors);
        }
        // A line that is not UTF-8 is read with replacement characters rather than refused: the
        // signals only need its words.
        let line = String::from_utf8_lossy(&raw);
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        match answer(line) {
            Ok(signals) => write_signals(out, &signals, json)?,
            Err(error) => {
                errors += 1;
                if json {
                    writeln!(out, "{}", json!({ "error": error }))?;
                } else {
                    writeln!(out, "error: {error}")?;
                }
            }
        }
    }
}

/// The signals of one input line, or why it has none.
fn answer(line: &str) -> Result<Signals, String> {
    let trimmed = line.trim_start();
    let parsed = if trimmed.starts_with('"') || trimmed.starts_with('{') {
        Some(
            serde_json::from_str::<Value>(line)
                .map_err(|error| format!("not a JSON string or object: {error}"))?,
        )
    } else {
        None
    };
    let (text, change) = match &parsed {
        None => (line, None),
        Some(Value::String(text)) => (text.as_str(), None),
        Some(Value::Object(fields)) => {
            let field = |name: &str| match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.as_str())),
                Some(_) => Err(format!("`{name}` is not a string")),
            };
            let text = field("text")?.ok_or("the object has no `text`")?;
            let change = match (field("before")?, field("after")?) {
                (Some(before), Some(after)) => Some(Change { before, after }),
                (None, None) => None,
                _ => return Err("give both `before` and `after`, or neither".to_owned()),
            };
            (text, change)
        }
        Some(_) => unreachable!("a JSON text that starts with a quote or a brace is a string or an object"),
    };
    if text.trim().is_empty() {
        return Err("empty rationale".to_owned());
    }
    Ok(quality::signals(text, change))
}

fn rounded(signal: Signal) -> f64 {
    quality::round2(signal.score)
}

fn write_signals(out: &mut impl Write, signals: &Signals, json: bool) -> io::Result<()> {
    let flags = signals.flags();
    if json {
        let value = json!({
            "flags": flags,
            "generic": rounded(signals.generic),
            "restates_diff": signals.restates_diff.map(rounded),
            "no_why": rounded(signals.no_why),
        });
        writeln!(out, "{value}")
    } else {
        let flags = if flags.is_empty() { "-".to_owned() } else { flags.join(",") };
        let restates =
            signals.restates_diff.map_or("-".to_owned(), |signal| format!("{:.2}", rounded(signal)));
        writeln!(
            out,
            "{flags}\tgeneric {:.2}\trestates_diff {restates}\tno_why {:.2}",
            rounded(signals.generic),
            rounded(signals.no_why)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &str, json: bool) -> (Vec<String>, usize) {
        let mut out = Vec::new();
        let errors = execute(input.as_bytes(), &mut out, json).unwrap();
        (String::from_utf8(out).unwrap().lines().map(str::to_owned).collect(), errors)
    }

    #[test]
    fn each_line_gets_one_answer_in_order() {
        let input = "Add retry loop\n\"Fix crash\\n\\nThe parser read past the end.\"\n\
            {\"text\":\"sum xs plus 1\",\"before\":\"return sum(xs)\",\"after\":\"return sum(xs) + 1\"}\n";
        let (lines, errors) = run_on(input, true);
        assert_eq!(errors, 0);
        let answers: Vec<Value> = lines.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0]["flags"], json!(["no_why"]));
        assert_eq!(answers[0]["restates_diff"], Value::Null);
        assert_eq!(answers[1]["flags"], json!([]));
        assert_eq!(answers[2]["flags"], json!(["restates_diff", "no_why"]));
        assert_eq!(answers[2]["restates_diff"], json!(1.0));
    }

    #[test]
    fn a_bad_line_is_an_error_in_its_place_and_the_rest_still_gets_answers() {
        let input = "\"unterminated\n\n{\"before\":\"a\",\"after\":\"b\"}\n{\"text\":\"x\",\"before\":\"a\"}\n[1]\nMove helpers\r\n";
        let (lines, errors) = run_on(input, true);
        assert_eq!(errors, 4, "{lines:?}");
        assert_eq!(lines.len(), 6);
        assert!(lines[0].contains("not a JSON string"), "{}", lines[0]);
        assert!(lines[1].contains("empty rationale"));
        assert!(lines[2].contains("no `text`"));
        assert!(lines[3].contains("both `before` and `after`"));
        // `[1]` does not start with a quote or a brace: it is plain text.
        assert!(lines[4].contains("\"flags\""));
        assert!(lines[5].contains("no_why"));
    }

    #[test]
    fn text_output_is_flags_and_scores() {
        let (lines, _) = run_on("Move helpers into utils\n", false);
        assert_eq!(lines, ["no_why\tgeneric 0.25\trestates_diff -\tno_why 1.00"]);
    }
}
