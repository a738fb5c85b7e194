"""The export read as is by DuckDB: `read_json_auto` over several files with `union_by_name`,
counts by language and by verdict. Journals are written here by hand, in the journal format of
docs/journal.md, so the test needs no editor; the export runs through the real binary.

Run: python3 tests/dataset/test_duckdb.py (after `pip install duckdb` and a release build);
the binary is $RATIONALE_BIN, else target/release/rationale.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("RATIONALE_BIN") or str(ROOT / "target" / "release" / "rationale")


def ts(second):
    return f"2026-11-26T08:{second // 60:02d}:{second % 60:02d}.000Z"


def journal(folder, session, author, language, path, pairs):
    """A journal of `session` in `folder`: one document, and per pair one edit and its rationale."""
    text = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(len(pairs)))
    records = [
        {"type": "session", "schema": 1, "session": session,
         "server": {"name": "rationale", "version": "0.1.0"}, "client": {"name": "duckdb-test", "version": "1"},
         "author": author, "workspace": folder.name, "positionEncoding": "utf-16"},
        {"type": "open", "path": path, "language": language, "version": 1, "text": text,
         "sha256": hashlib.sha256(text.encode()).hexdigest()},
    ]
    ids = []
    for i, why in enumerate(pairs):
        line = 3 * i + 1
        records.append({"type": "change", "path": path, "version": i + 2,
                        "edits": [{"range": [[line, 11], [line, 11]], "text": "0"}]})
        seq = len(records)
        ids.append(f"{session}:{seq}")
        records.append({
            "type": "rationale", "pair": f"{session}:{seq}", "change": f"x.{i}", "path": path,
            "language": language, "unit": {"name": f"f{i}", "kind": "function"}, "kind": "modified",
            "before": f"def f{i}():\n    return {i}", "after": f"def f{i}():\n    return {i}0",
            "text": why, "editsFrom": ts(seq - 1), "editsTo": ts(seq - 1), "edits": 1,
            "promptedAt": ts(seq - 1), "version": i + 2, "via": "command", "group": None,
        })
    sessions = folder / ".rationale" / "sessions"
    sessions.mkdir(parents=True)
    with open(sessions / f"{session}.jsonl", "w") as out:
        for seq, record in enumerate(records):
            out.write(json.dumps({"seq": seq, "ts": ts(seq), **record}) + "\n")
    return ids


def verdicts(folder, reviewer, pairs_and_verdicts):
    reviews = folder / ".rationale" / "reviews"
    reviews.mkdir(parents=True, exist_ok=True)
    with open(reviews / f"{reviewer}.jsonl", "w") as out:
        for pair, verdict in pairs_and_verdicts:
            out.write(json.dumps({"ts": ts(0), "reviewer": reviewer, "pair": pair, "verdict": verdict}) + "\n")


def export(*args):
    done = subprocess.run([BIN, "export", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"rationale export {args}: {done.returncode}\n{done.stderr}"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        py = journal(tmp / "team" / "alice", "20261126T080000Z-aaaaaa", "alice@example.com", "python", "a.py",
                     ["Callers need the real value here.", "Off by one in the loop bound.",
                      "The cache key must include the user."])
        js = journal(tmp / "team" / "bob", "20261126T090000Z-bbbbbb", "bob@example.com", "javascript", "b.js",
                     ["Render lazily to keep the first paint fast.", "The API returns seconds, not ms."])
        verdicts(tmp / "team" / "alice", "carol", [(py[0], "accept"), (py[1], "reject")])
        verdicts(tmp / "team" / "bob", "carol", [(js[0], "accept")])
        verdicts(tmp / "team" / "bob", "dave", [(js[1], "flag")])

        out = tmp / "out"
        out.mkdir()
        # Two files with different columns (file_before/file_after in one only): union_by_name.
        export(tmp / "team" / "alice", "--out", out / "alice.jsonl")
        export(tmp / "team" / "bob", "--out", out / "bob.jsonl", "--with-files")
        rows = lambda sql: duckdb.sql(sql).fetchall()
        source = f"read_json_auto('{out}/*.jsonl', union_by_name=true)"

        by_language = dict(rows(f"SELECT language, count(*) FROM {source} GROUP BY language"))
        assert by_language == {"python": 3, "javascript": 2}, by_language
        by_verdict = dict(rows(
            f"SELECT coalesce(review.verdict, 'unreviewed'), count(*) FROM {source} GROUP BY 1"))
        assert by_verdict == {"accept": 2, "reject": 1, "flag": 1, "unreviewed": 1}, by_verdict
        by_author = dict(rows(f"SELECT author, count(*) FROM {source} GROUP BY author"))
        assert by_author == {"alice@example.com": 3, "bob@example.com": 2}, by_author
        files = rows(f"SELECT count(file_before) FROM {source}")[0][0]
        assert files == 2, files
        unit = rows(f"SELECT unit.name, edits, diff FROM {source} WHERE id = '{py[0]}'")
        assert unit[0][0] == "f0" and unit[0][1] == 1 and "+    return 00" in unit[0][2], unit

        # The edits format: the history is a list of {ts, version, diff}.
        export(tmp / "team", "--out", out / "edits.jsonl.x", "--format", "edits")
        steps = rows(f"SELECT id, len(edit_history), edit_history[1].diff "
                     f"FROM read_json_auto('{out}/edits.jsonl.x') ORDER BY id")
        assert len(steps) == 5 and all(n == 1 for _, n, _ in steps), steps
        assert steps[0][2].startswith("@@ "), steps

        # CommitPackFT's columns.
        export(tmp / "team", "--out", out / "commitpack.jsonl.x", "--format", "commitpack")
        langs = dict(rows(f"SELECT lang, count(*) FROM read_json_auto('{out}/commitpack.jsonl.x') GROUP BY lang"))
        assert langs == {"Python": 3, "JavaScript": 2}, langs
    print("duckdb: the export reads as is (counts by language, verdict and author agree)")


if __name__ == "__main__":
    sys.exit(main())
