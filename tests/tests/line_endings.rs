//! Line endings are whitespace: a document whose line endings change (CRLF to LF, LF to CRLF) and
//! nothing else has no pending change, in TSX with JSX text between its lines, Python with
//! docstrings, Go with raw strings and Rust with multi-line strings. The conversion arrives as an
//! editor sends it: the whole text at once, or one line break at a time. A real change made after
//! the conversion is still reported, and the journal keeps the bytes the editor sent.

use rationale_tests::journal::{assert_same_text, replay_ok};
use rationale_tests::model::{Change, Pos};
use rationale_tests::{Server, ServerOptions};
use serde_json::{json, Value};

/// A React test file: a component, a hook, and two tests whose functions return JSX, with
/// indented JSX text between tags.
const TSX: &str = r#"import * as React from 'react'
import { render, screen } from '@testing-library/react'
import { useQuery } from '../useQuery'

interface Props {
  title: string
  items: Array<{ id: number; label: string }>
}

export function ItemList({ title, items }: Props) {
  const [open, setOpen] = React.useState(true)
  if (!items.length) {
    return (
      <p className="empty">
        Nothing to show yet.
      </p>
    )
  }
  return (
    <section>
      <h2 onClick={() => setOpen(!open)}>
        {title} ({items.length})
      </h2>
      {open && (
        <ul>
          {items.map((item) => (
            <li key={item.id}>
              {item.label}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Page() {
  const state = useQuery({ queryKey: ['items'], queryFn: () => Promise.resolve([]) })
  return (
    <div>
      <h1>Status: {state.status}</h1>
      <ItemList title="Items" items={state.data ?? []} />
    </div>
  )
}

it('renders the empty state', async () => {
  render(<Page />)
  await screen.findByText('Nothing to show yet.')
})
"#;

const PYTHON: &str = r#"import re


class Template:
    """A string template with `$name` placeholders.

    Placeholders that name no value are left as they are.
    """

    pattern = re.compile(r"\$(\w+)")

    def __init__(self, text):
        self.text = text

    def render(self, **values):
        """Substitute every placeholder.

        >>> Template("hi $who").render(who="you")
        'hi you'
        """
        def one(match):
            return str(values.get(match.group(1), match.group(0)))

        return self.pattern.sub(one, self.text)


USAGE = """usage: template FILE
  renders FILE with the environment
"""


def main(argv):
    if len(argv) != 2:
        print(USAGE)
        return 2
    return 0
"#;

const GO: &str = r#"package render

import (
	"fmt"
	"strings"
)

// Banner is printed above every report.
const Banner = `report
======
`

// Report collects lines under a title.
type Report struct {
	Title string
	lines []string
}

// Add appends a formatted line.
func (r *Report) Add(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

/*
String renders the report: the banner, the title,
then every line indented.
*/
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString(Banner)
	b.WriteString(`title: ` + r.Title + `
`)
	for _, line := range r.lines {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}
"#;

const RUST: &str = r###"//! Reports.

use std::fmt;

/// A report: a title and its lines.
#[derive(Debug, Default)]
pub struct Report {
    pub title: String,
    lines: Vec<String>,
}

impl Report {
    /// Adds a line.
    pub fn add(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    fn banner() -> &'static str {
        "report
======"
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /* The banner, the title,
           then every line indented. */
        writeln!(f, "{}", Self::banner())?;
        writeln!(f, r#"title: "{}""#, self.title)?;
        for line in &self.lines {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}
"###;

fn server() -> Server {
    Server::start(ServerOptions {
        initialization_options: Some(json!({"settleMs": 0})),
        ..ServerOptions::default()
    })
}

fn pending(server: &mut Server, uri: &str) -> Vec<Value> {
    let answer = server.request_ok("rationale/pendingChanges", json!({"uri": uri}));
    answer["changes"].as_array().expect("a list of changes").clone()
}

/// Each pending change as `change name`.
fn summary(changes: &[Value]) -> Vec<String> {
    changes.iter().map(|c| format!("{} {}", c["change"].as_str().unwrap(), c["unit"]["name"])).collect()
}

/// `text`, every line ending `ending`.
fn with_endings(text: &str, ending: &str) -> String {
    text.replace('\n', ending)
}

/// The edits that replace every line break of `text` (which ends its lines with `from`) with
/// `to`, one at a time, top down; each keeps the lines where they were.
fn line_by_line(text: &str, from: &str, to: &str) -> Vec<Change> {
    text.split(from)
        .enumerate()
        .take(text.matches(from).count())
        .map(|(line, content)| Change::replace(Pos::new(line, content.len()), Pos::new(line + 1, 0), to))
        .collect()
}

/// Opens `text` in `from` line endings as `name`, converts it to `to` (`whole`: in one full-text
/// change, else a line break per `didChange`), and returns the document's URI and version, and
/// what is pending afterwards.
fn convert(
    server: &mut Server,
    name: &str,
    text: &str,
    from: &str,
    to: &str,
    whole: bool,
) -> (String, i64, Vec<String>) {
    let before = with_endings(text, from);
    let uri = server.open(name, &before);
    assert_eq!(pending(server, &uri), Vec::<Value>::new(), "{name} as opened");
    let mut version = 1;
    if whole {
        version += 1;
        server.did_change(&uri, version, &[Change::whole(with_endings(text, to))]);
    } else {
        for change in line_by_line(&before, from, to) {
            version += 1;
            server.did_change(&uri, version, &[change]);
        }
    }
    let left = summary(&pending(server, &uri));
    (uri, version, left)
}

#[test]
fn a_change_of_line_endings_alone_is_no_pending_change_in_any_language() {
    let mut server = server();
    let files = [("list.test.tsx", TSX), ("template.py", PYTHON), ("report.go", GO), ("report.rs", RUST)];
    let mut converted = Vec::new();
    let mut wrong = Vec::new();
    for (name, text) in files {
        for (from, to) in [("\r\n", "\n"), ("\n", "\r\n")] {
            for whole in [true, false] {
                let way = if whole { "whole" } else { "lines" };
                let tag = if from == "\n" { "to-crlf" } else { "to-lf" };
                let name = format!("{tag}-{way}-{name}");
                let (_, _, left) = convert(&mut server, &name, text, from, to, whole);
                if !left.is_empty() {
                    wrong.push(format!("{name}: {left:?}"));
                }
                converted.push((name, with_endings(text, to)));
            }
        }
    }
    assert!(wrong.is_empty(), "a change of line endings left pending changes:\n{}", wrong.join("\n"));
    // The journal holds the text as the editor sent it: the replay is the converted text, byte
    // for byte.
    server.shutdown_and_exit();
    let replayed = replay_ok(&server.journal().path, None);
    for (name, text) in &converted {
        let bytes = std::fs::read(replayed.path().join(name)).unwrap();
        assert_same_text(&bytes, text, name);
    }
}

#[test]
fn a_real_change_after_converting_line_endings_is_still_one() {
    let mut server = server();
    let (uri, version, left) = convert(&mut server, "list.test.tsx", TSX, "\r\n", "\n", true);
    assert_eq!(left, Vec::<String>::new());
    // JSX text in one of the two functions that return JSX.
    let line = TSX.lines().position(|l| l.contains("Nothing to show yet.")).unwrap();
    let column = TSX.lines().nth(line).unwrap().find("yet").unwrap();
    let change = Change::replace(Pos::new(line, column), Pos::new(line, column + 3), "so far");
    server.did_change(&uri, version + 1, &[change]);
    assert_eq!(summary(&pending(&mut server, &uri)), ["modified \"ItemList\""]);

    let (uri, version, left) = convert(&mut server, "report.go", GO, "\n", "\r\n", false);
    assert_eq!(left, Vec::<String>::new());
    // Inside a raw string, a line break is the string's: one more is a change.
    let line = GO.lines().position(|l| l.starts_with("======")).unwrap();
    server.did_change(&uri, version + 1, &[Change::insert(Pos::new(line, 0), "\r\n")]);
    assert_eq!(summary(&pending(&mut server, &uri)), ["modified \"<module>\""]);
}
