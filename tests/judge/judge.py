#!/usr/bin/env python3
"""Replays real diffs through `rationale lsp` and compares its pending changes with an independent judge.

For every pair of file versions (v1, v2), the driver opens v1 in the real server, replays the
diff v1 -> v2 as edits, asks `rationale/pendingChanges`, and compares the answer with what the
judge finds changed between v1 and v2: py_units.py (Python's ast and tokenize), js_units.mjs
(acorn under Node), ts_units.mjs (TypeScript's compiler API, for TypeScript and TSX),
go_units/main.go (go/ast and go/scanner) and rust_units (syn) list each version's units with a signature of their own tokens, and a unit is
modified when its signature differs, added or removed when its qualified name and kind are in one
version only. Several units of one name and kind (overloads, a getter and its setter, a method
defined in both branches of an `if`, functions in several anonymous callbacks) are paired by
their unchanged own text first, then in order of appearance; a change to one of them counts only
when the server reports it at the line that unit starts on.

Ways of replaying the diff (each on its own copy of the document, in one server per package):
  typed   hunks top-down; within a hunk only the text between the common prefix and suffix is
          edited: deleted by backspaces (short) or one range, then typed one character per
          didChange (long text is pasted); a pendingChanges request after every hunk and every
          64 keystrokes, as an editor asks while one types, so the server sees half-typed code
  pasted  hunks top-down, each whole hunk of lines replaced by one didChange, a pendingChanges
          request after each
  batch   every hunk bottom-up in one didChange with many contentChanges (a formatter's edit)
  whole   one full-document replacement: no positions to follow, so it shows what differs in
          the definition of units alone (reported apart, not in the per-language figures)

Comparison: the judge's set of (qualified name, kind, change) against the server's (and, for one
of several units of a name, the line it starts on). A rename the
server reports as one `modified` change with `previousName` matches the judge's removed(old name)
plus added(new name), and counts once on each side. A unit whose own text did not change but
whose qualified name did because an enclosing unit was renamed (a method of a renamed class) is
no change by the rule of own text: when the server reports that enclosing rename, the judge's
removed+added pair for it is dropped.

Usage:
  python3 judge.py --fixtures [--threshold python=P,R ...]   the committed subset (CI)
  python3 judge.py --full [--cache DIR]                      the packages fetch.py gets
Options: --bin PATH (default $RATIONALE_BIN, else target/release/rationale), --modes typed,pasted,
--only SUBSTRING (files whose path or package contains it), --languages L1,L2, --mismatches N (how many to print,
default all), --json FILE (every comparison, for analysis), --ask-every N and --no-wait (how
often, and whether synchronously, the driver asks for pending changes while typing), --keep. Exits 1 when a threshold is not met or the text
the server rebuilt from its journal is not v2.
"""

import argparse
import bisect
import collections
import difflib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EDIT_MODES = ("typed", "pasted", "batch")
ALL_MODES = EDIT_MODES + ("whole",)
LANGUAGES = ("python", "javascript", "typescript", "tsx", "go", "rust")
# The LSP language id an editor sends for each language's files.
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "typescript": "typescript",
                "tsx": "typescriptreact", "go": "go", "rust": "rust"}

# Typing: text longer than this (deleted plus inserted) is pasted, shorter is typed.
TYPE_LIMIT = 300
# Deleting: runs up to this long are backspaced one character at a time.
BACKSPACE_LIMIT = 40
# While typing, ask for pending changes every this many keystrokes (--ask-every).
ASK_EVERY = 64
# Whether to wait for the answer to those requests (--no-wait turns it off).
WAIT_FOR_ASKS = True


# ---------------------------------------------------------------------------------------------
# The server, over stdio


class Server:
    """`rationale lsp` as a child process, spoken to with Content-Length framed JSON-RPC."""

    def __init__(self, binary, workspace, log_path):
        self.log = open(log_path, "wb")
        # Every incremental update of units is checked against a fresh extraction: on real diffs,
        # a shortcut that drifts makes the server stop, and the run fail.
        env = dict(os.environ, RATIONALE_CHECK_UNITS="1")
        self.proc = subprocess.Popen(
            [binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=workspace, env=env
        )
        self.write_lock = threading.Lock()
        self.responses = {}
        self.arrived = threading.Condition()
        self.next_id = 0
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self.arrived:
                        self.closed = True
                        self.arrived.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                # A request from the server (configuration, progress, applyEdit): an empty answer.
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                with self.arrived:
                    self.responses[message["id"]] = message
                    self.arrived.notify_all()

    def _send(self, message):
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        with self.write_lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method, params):
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, request_id, timeout=120):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while request_id not in self.responses:
                if self.closed:
                    raise RuntimeError("the server closed its output (crashed?); see its log")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no answer to request {request_id} in {timeout} s")
                self.arrived.wait(left)
            message = self.responses.pop(request_id)
        if "error" in message:
            raise RuntimeError(f"request {request_id} failed: {message['error']}")
        return message["result"]

    def request(self, method, params, timeout=120):
        return self.wait(self.send_request(method, params), timeout)

    def forget(self, request_id):
        """Drops the answer to a request nobody waits for, once it arrives."""
        with self.arrived:
            self.responses.pop(request_id, None)

    def shutdown(self):
        try:
            self.request("shutdown", None, timeout=60)
            self.notify("exit", None)
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()
        return self.proc.returncode


# ---------------------------------------------------------------------------------------------
# Positions and edits


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


def advance(position, text):
    """The position after `text` typed at `position` (lines split on "\n" only: texts are normalised)."""
    line, col = position
    newlines = text.count("\n")
    if newlines == 0:
        return (line, col + utf16_len(text))
    return (line + newlines, utf16_len(text[text.rfind("\n") + 1 :]))


def lsp_range(start, end):
    return {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}


def hunks(old_lines, new_lines):
    """The diff as (i1, i2, j1, j2): old lines i1..i2 become new lines j1..j2, in file order."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


class Document:
    """One copy of v1 open in the server, edited towards v2."""

    def __init__(self, server, uri, language):
        self.server = server
        self.uri = uri
        self.version = 1
        self.language = language
        self.keystrokes = 0

    def open(self, text):
        self.server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": self.uri, "languageId": LANGUAGE_IDS[self.language], "version": 1, "text": text}},
        )

    def change(self, changes):
        self.version += 1
        self.server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": changes},
        )

    def ask(self):
        """A pendingChanges request in the middle of the edits, as an editor refreshes its view.

        By default the driver waits for the answer, so the server takes stock of the document at
        exactly this point and a run is repeatable. With --no-wait it does not (as an editor does
        not), and the server may answer from a later point: where identity through edits depends
        on the points at which the server looked, results then vary from run to run."""
        request = self.server.send_request("rationale/pendingChanges", {"uri": self.uri})
        if WAIT_FOR_ASKS:
            self.server.wait(request)
        else:
            self.server.forget(request)

    def pending(self):
        return self.server.request("rationale/pendingChanges", {"uri": self.uri})["changes"]


def replay_typed(doc, old_lines, new_lines):
    for i1, i2, j1, j2 in hunks(old_lines, new_lines):
        old = "".join(old_lines[i1:i2])
        new = "".join(new_lines[j1:j2])
        prefix = 0
        limit = min(len(old), len(new))
        while prefix < limit and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
            suffix += 1
        removed = old[prefix : len(old) - suffix]
        added = new[prefix : len(new) - suffix]
        # Top-down: the lines above this hunk are already v2's.
        start = advance((j1, 0), old[:prefix])
        if len(removed) + len(added) > TYPE_LIMIT:
            doc.change([{"range": lsp_range(start, advance(start, removed)), "text": added}])
        else:
            if removed and len(removed) <= BACKSPACE_LIMIT:
                ends = [start]
                for char in removed:
                    ends.append(advance(ends[-1], char))
                for k in range(len(removed), 0, -1):
                    doc.change([{"range": lsp_range(ends[k - 1], ends[k]), "text": ""}])
                    doc.keystrokes += 1
            elif removed:
                doc.change([{"range": lsp_range(start, advance(start, removed)), "text": ""}])
            here = start
            for char in added:
                doc.change([{"range": lsp_range(here, here), "text": char}])
                here = advance(here, char)
                doc.keystrokes += 1
                if doc.keystrokes % ASK_EVERY == 0:
                    doc.ask()
        doc.ask()


def bottom_up_changes(old_lines, new_lines):
    changes = []
    for i1, i2, j1, j2 in reversed(hunks(old_lines, new_lines)):
        old = "".join(old_lines[i1:i2])
        # Bottom-up: the lines above this hunk are still v1's.
        changes.append({"range": lsp_range((i1, 0), advance((i1, 0), old)), "text": "".join(new_lines[j1:j2])})
    return changes


def replay(mode, doc, old_text, new_text):
    old_lines = old_text.splitlines(keepends=True)
    new_lines = new_text.splitlines(keepends=True)
    if mode == "typed":
        replay_typed(doc, old_lines, new_lines)
    elif mode == "pasted":
        for i1, i2, j1, j2 in hunks(old_lines, new_lines):
            old = "".join(old_lines[i1:i2])
            # Top-down: the lines above this hunk are already v2's.
            doc.change([{"range": lsp_range((j1, 0), advance((j1, 0), old)), "text": "".join(new_lines[j1:j2])}])
            doc.ask()
    elif mode == "batch":
        doc.change(bottom_up_changes(old_lines, new_lines))
    elif mode == "whole":
        doc.change([{"text": new_text}])
    else:
        raise ValueError(mode)


# ---------------------------------------------------------------------------------------------
# The judge


def normalise(text):
    """One newline convention and no byte-order mark, for the server and the judge alike."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def ensure_node_modules():
    if not all((HERE / "node_modules" / name).is_dir() for name in ("acorn", "typescript")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)


def go_judge():
    """The Go judge, built once into a cache folder (`go build`, standard library only)."""
    binary = Path(tempfile.gettempdir()) / "rationale-judge-go" / "go_units"
    source = HERE / "go_units" / "main.go"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        binary.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, GO111MODULE="off", GOFLAGS="")
        subprocess.run(["go", "build", "-o", str(binary), str(source)], check=True, env=env)
    return binary


def rust_judge():
    """The Rust judge (syn), built with cargo in its own target folder."""
    target = Path(os.environ.get("RATIONALE_JUDGE_RUST_TARGET", Path(tempfile.gettempdir()) / "rationale-judge-rust"))
    manifest = HERE / "rust_units" / "Cargo.toml"
    subprocess.run(["cargo", "build", "--quiet", "--release", "--manifest-path", str(manifest), "--target-dir", str(target)],
                   check=True)
    return target / "release" / "rust_units"


def judge_units(language, paths):
    """{path: {"units": [...]} or {"error": ...}} from the judge of the language."""
    if not paths:
        return {}
    if language == "python":
        command = [sys.executable, str(HERE / "py_units.py")]
    elif language == "javascript":
        ensure_node_modules()
        command = ["node", str(HERE / "js_units.mjs")]
    elif language in ("typescript", "tsx"):
        ensure_node_modules()
        command = ["node", str(HERE / "ts_units.mjs")]
    elif language == "go":
        if shutil.which("go") is None:
            raise RuntimeError("the Go judge needs the Go toolchain: install `golang-go` (or Go from go.dev)")
        command = [str(go_judge())]
    elif language == "rust":
        command = [str(rust_judge())]
    else:
        raise ValueError(f"no judge for {language}")
    out = subprocess.run(command + [str(p) for p in paths], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def by_identity(units):
    """(name, kind) -> the units of that name and kind, in order of appearance."""
    groups = collections.OrderedDict()
    for unit in units:
        groups.setdefault((unit["name"], unit["kind"]), []).append(unit)
    return groups


class Lines:
    """Where a judge's units lie in one version's text, in 0-based lines. The judges give Python's
    positions as (line from 1, column), JavaScript's and TypeScript's as offsets in UTF-16 code
    units (a JavaScript string's), Go's and Rust's as offsets in UTF-8 bytes."""

    def __init__(self, language, text):
        self.python = language == "python"
        width = (lambda line: len(line.encode("utf-16-le")) // 2) if language in ("javascript", "typescript", "tsx") \
            else (lambda line: len(line.encode("utf-8")))
        self.starts = [0]
        for line in text.split("\n")[:-1]:
            self.starts.append(self.starts[-1] + width(line) + 1)

    def line(self, position):
        if self.python:
            return position[0] - 1
        return bisect.bisect_right(self.starts, position) - 1

    def start(self, unit):
        return self.line(unit["start"])

    def span(self, unit):
        """The lines a unit's text covers (its end is exclusive, or a Python (line, column))."""
        end = unit["end"][0] - 1 if self.python else self.line(max(unit["start"], unit["end"] - 1))
        return range(self.start(unit), end + 1)


class Versions:
    """v1 and v2 of a file as the judge sees them: the lines of each, and which lines of v1 stand
    unchanged in v2 (the line diff's equal blocks, the diff the replay types)."""

    def __init__(self, language, old_text, new_text):
        self.old = Lines(language, old_text)
        self.new = Lines(language, new_text)
        old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        self.kept = {}
        for tag, i1, i2, j1, _, in matcher.get_opcodes():
            if tag == "equal":
                self.kept.update((i1 + k, j1 + k) for k in range(i2 - i1))

    def shared_lines(self, old_unit, new_unit):
        """How many lines of the old unit stand unchanged inside the new one."""
        span = self.new.span(new_unit)
        return sum(1 for line in self.old.span(old_unit) if self.kept.get(line, -1) in span)


def pair_same_named(olds, news, versions=None):
    """Pairs the units of one name and kind in v1 and v2: [(old or None, new or None)].

    Same-named units (`@overload` stubs and their implementation, a getter and its setter, a
    method defined in both branches of an `if`, functions in several anonymous callbacks) have no
    name to tell them apart. A unit edited in place keeps lines that the diff leaves unchanged, so
    an old unit is the new one that holds some of its unchanged lines and the same own text, else
    the one that holds most of them; what is left (units rewritten whole, or every unit when
    positions are not known) is paired by unchanged own text (the longest common subsequence of
    their signatures), then in order of appearance. So a stub inserted before the others is one
    unit added, not every later one modified and the last added, even where the line diff lends
    the new stub some lines of the next one; and two callbacks edited so that the first now reads
    as the second did are two units modified, not one removed and one added."""
    pairs = []
    if versions is not None and len(olds) + len(news) > 2:
        scored = sorted(
            (
                (versions.shared_lines(o, n), o["signature"] == n["signature"], i, j)
                for i, o in enumerate(olds)
                for j, n in enumerate(news)
            ),
            key=lambda t: (not (t[0] > 0 and t[1]), -t[0], t[2], t[3]),
        )
        old_taken, new_taken = set(), set()
        for shared, _, i, j in scored:
            if shared > 0 and i not in old_taken and j not in new_taken:
                old_taken.add(i)
                new_taken.add(j)
                pairs.append((olds[i], news[j]))
        olds = [o for i, o in enumerate(olds) if i not in old_taken]
        news = [n for j, n in enumerate(news) if j not in new_taken]
    matcher = difflib.SequenceMatcher(None, [u["signature"] for u in olds], [u["signature"] for u in news],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(olds[i1:i2], news[j1:j2]))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            pairs.append((olds[i1 + k] if i1 + k < i2 else None, news[j1 + k] if j1 + k < j2 else None))
    return pairs


def judge_changes(old_units, new_units, versions=None):
    """The judge's changes: [{"name", "kind", "change", "old", "new", "line"}] (old/new: the units,
    or None). `versions` (a Versions) gives positions; without it same-named units are paired by
    text and order alone.

    `line`, for a change to one of several units of one name and kind (modified or added), is the
    0-based line of v2 where that unit starts: the server's change must be at that line, so that
    an edit to the setter reported on the getter, or to the implementation reported on a stub, is
    a mismatch and not a match by name. Elsewhere (one unit of its name, a removed unit) it is None
    and the name says which unit it is."""
    old_groups = by_identity(old_units)
    new_groups = by_identity(new_units)
    changes = []
    for key in list(old_groups) + [k for k in new_groups if k not in old_groups]:
        olds = old_groups.get(key, [])
        news = new_groups.get(key, [])
        several = len(olds) > 1 or len(news) > 1
        for before, after in pair_same_named(olds, news, versions):
            if before and after and before["signature"] == after["signature"]:
                continue
            change = "modified" if before and after else "removed" if before else "added"
            line = versions.new.start(after) if several and after and versions else None
            changes.append({"name": key[0], "kind": key[1], "change": change, "old": before, "new": after,
                            "line": line})
    return changes


def compare(judged, reported):
    """Matches the judge's changes with the server's; returns (true positives, misses, extras, notes).

    Each element of the lists is a short description dict; see the module doc for the rules."""
    judged = list(judged)
    server = [
        {
            "name": c["unit"]["name"],
            "kind": c["unit"]["kind"],
            "change": c["change"],
            "previousName": c.get("previousName"),
            "line": c["unit"]["range"]["start"]["line"],
        }
        for c in reported
    ]
    matched = []

    def take(predicate):
        for index, item in enumerate(judged):
            if predicate(item):
                return judged.pop(index)
        return None

    # Renames first: they also say which nested units were only carried along.
    renames = []
    rest = []
    for change in server:
        if change["change"] == "modified" and change["previousName"] and change["previousName"] != change["name"]:
            removed = take(lambda j: j["change"] == "removed" and j["name"] == change["previousName"] and j["kind"] == change["kind"])
            if removed is None:
                rest.append(change)
                continue
            added = take(lambda j: j["change"] == "added" and j["name"] == change["name"] and j["kind"] == change["kind"])
            if added is None:
                judged.append(removed)
                rest.append(change)
                continue
            matched.append({"judge": f"removed {removed['name']} + added {added['name']}", "server": change})
            renames.append((change["previousName"], change["name"]))
        else:
            rest.append(change)
    # Units carried by an enclosing rename, with their own text unchanged: not changes.
    carried = []
    for old_prefix, new_prefix in renames:
        for item in list(judged):
            if item["change"] != "removed" or not item["name"].startswith(old_prefix + "."):
                continue
            new_name = new_prefix + item["name"][len(old_prefix) :]
            twin = next(
                (j for j in judged if j["change"] == "added" and j["name"] == new_name and j["kind"] == item["kind"]),
                None,
            )
            if twin and twin["new"]["signature"] == item["old"]["signature"]:
                judged.remove(item)
                judged.remove(twin)
                carried.append(f"{item['name']} -> {new_name}")
    # The rest by name, kind and change; for one of several units of a name, also by the line it
    # starts on (the judge's `line`), so that the change is on the unit that changed.
    extras = []
    for change in rest:
        found = take(
            lambda j: j["name"] == change["name"]
            and j["kind"] == change["kind"]
            and j["change"] == change["change"]
            and j["line"] in (None, change["line"])
        )
        if found is not None:
            matched.append({"judge": f"{found['change']} {found['name']}", "server": change})
        else:
            extras.append(change)
    misses = [{"name": j["name"], "kind": j["kind"], "change": j["change"], "line": j["line"]} for j in judged]
    return matched, misses, extras, carried


# ---------------------------------------------------------------------------------------------
# Running a set of file pairs


def load_pairs(args):
    if args.full:
        cache = Path(args.cache)
        listing = cache / "pairs.json"
        if not listing.exists():
            subprocess.run([sys.executable, str(HERE / "fetch.py"), "--cache", str(cache)], check=True,
                           stdout=subprocess.DEVNULL)
        pairs = json.loads(listing.read_text())
    else:
        fixtures = HERE / "fixtures"
        pairs = json.loads((fixtures / "pairs.json").read_text())
        for pair in pairs:
            pair["old"] = str(fixtures / pair["old"])
            pair["new"] = str(fixtures / pair["new"])
    if args.only:
        pairs = [p for p in pairs if args.only in p["path"] or args.only in p["package"]]
    if args.languages:
        pairs = [p for p in pairs if p["language"] in args.languages.split(",")]
    return pairs


def default_binary():
    return os.environ.get("RATIONALE_BIN") or str(REPO / "target" / "release" / "rationale")


def run_package(binary, package, pairs, modes, work):
    """Replays every pair of one package in one server; returns a result per (pair, mode)."""
    slug = package.replace(" -> ", "-").replace(" ", "-").replace("/", "+").replace("@", "")
    workspace = work / f"ws-{slug}"
    workspace.mkdir(parents=True)
    copies = work / f"judged-{slug}"
    texts = []
    for index, pair in enumerate(pairs):
        old = normalise(Path(pair["old"]).read_text(encoding="utf-8"))
        new = normalise(Path(pair["new"]).read_text(encoding="utf-8"))
        suffix = Path(pair["path"]).suffix
        old_copy = copies / "old" / f"{index}{suffix}"
        new_copy = copies / "new" / f"{index}{suffix}"
        for path, text in ((old_copy, old), (new_copy, new)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        texts.append((old, new, old_copy, new_copy))

    judged_files = {}
    for language in {pair["language"] for pair in pairs}:
        chosen = [t for pair, t in zip(pairs, texts) if pair["language"] == language]
        judged_files.update(judge_units(language, [t[2] for t in chosen] + [t[3] for t in chosen]))

    server = Server(binary, workspace, work / f"server-{slug}.log")
    results = []
    try:
        server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "rationale-judge", "version": "1"},
                "capabilities": {},
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
                "initializationOptions": {"settleMs": 0},
            },
        )
        server.notify("initialized", {})
        for pair, (old, new, old_copy, new_copy) in zip(pairs, texts):
            old_judged = judged_files[str(old_copy)]
            new_judged = judged_files[str(new_copy)]
            if "error" in old_judged or "error" in new_judged:
                results.append({"pair": pair, "skipped": old_judged.get("error") or new_judged.get("error")})
                continue
            expected = judge_changes(old_judged["units"], new_judged["units"], Versions(pair["language"], old, new))
            for mode in modes:
                relative = f"{mode}/{pair['path']}"
                uri = workspace.as_uri() + "/" + urllib.parse.quote(relative)
                doc = Document(server, uri, pair["language"])
                doc.open(old)
                started = time.monotonic()
                replay(mode, doc, old, new)
                reported = doc.pending()
                elapsed = time.monotonic() - started
                matched, misses, extras, carried = compare(expected, reported)
                results.append(
                    {
                        "pair": pair,
                        "mode": mode,
                        "relative": relative,
                        "new_text": new,
                        "judge": len(matched) + len(misses),
                        "server": len(matched) + len(extras),
                        "tp": len(matched),
                        "matched": matched,
                        "misses": misses,
                        "extras": extras,
                        "carried": carried,
                        "keystrokes": doc.keystrokes,
                        "seconds": elapsed,
                    }
                )
                server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    finally:
        code = server.shutdown()
    if code != 0:
        raise RuntimeError(f"the server exited with {code}; see {work / f'server-{slug}.log'}")
    check_journal(binary, workspace, work / f"rebuilt-{slug}", results)
    return results


def check_journal(binary, workspace, out, results):
    """The server's own journal, replayed, must give v2 for every document: else the driver sent
    edits that do not say what it meant (or the server applied them wrongly), and nothing else
    this run found can be trusted."""
    journals = glob.glob(str(workspace / ".rationale" / "sessions" / "*.jsonl"))
    if len(journals) != 1:
        raise RuntimeError(f"expected one journal under {workspace}, found {journals}")
    subprocess.run([binary, "replay", journals[0], "--out", str(out)], check=True, capture_output=True)
    for result in results:
        if "mode" not in result:
            continue
        rebuilt = (out / result["relative"]).read_text(encoding="utf-8")
        result["text_ok"] = rebuilt == result["new_text"]
        del result["new_text"]


# ---------------------------------------------------------------------------------------------
# Reporting


def ratio(part, whole):
    return part / whole if whole else 1.0


def summarise(results, modes):
    rows = []
    for language in LANGUAGES:
        for group in [("edits", [m for m in modes if m in EDIT_MODES])] + [(m, [m]) for m in modes]:
            label, members = group
            picked = [r for r in results if r.get("mode") in members and r["pair"]["language"] == language]
            if not picked:
                continue
            files = len({r["pair"]["old"] for r in picked})
            judge = sum(r["judge"] for r in picked)
            server = sum(r["server"] for r in picked)
            tp = sum(r["tp"] for r in picked)
            rows.append(
                {"language": language, "mode": label, "files": files, "replays": len(picked), "judge": judge,
                 "server": server, "tp": tp, "precision": ratio(tp, server), "recall": ratio(tp, judge)}
            )
    return rows


def print_table(rows):
    header = f"{'language':<11}{'mode':<8}{'files':>6}{'replays':>8}{'judge':>7}{'server':>7}{'tp':>6}{'precision':>10}{'recall':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['language']:<11}{r['mode']:<8}{r['files']:>6}{r['replays']:>8}{r['judge']:>7}{r['server']:>7}{r['tp']:>6}"
            f"{r['precision']:>10.3f}{r['recall']:>8.3f}"
        )


def print_mismatches(results, limit):
    lines = []
    for r in results:
        if "skipped" in r:
            lines.append(f"  skipped {r['pair']['package']} {r['pair']['path']}: the judge cannot parse it ({r['skipped']})")
            continue
        where = f"{r['pair']['package'].split(' ')[0]} {r['pair']['path']} [{r['mode']}]"
        for miss in r["misses"]:
            at = f" at line {miss['line'] + 1}" if miss.get("line") is not None else ""
            lines.append(f"  missed  {where}: judge {miss['change']} {miss['kind']} `{miss['name']}`{at}; server: nothing")
        for extra in r["extras"]:
            renamed = f" (previousName `{extra['previousName']}`)" if extra.get("previousName") else ""
            lines.append(
                f"  extra   {where}: server {extra['change']} {extra['kind']} `{extra['name']}` at line {extra['line'] + 1}"
                f"{renamed}; judge: nothing"
            )
    if lines:
        print(f"\nmismatches ({len(lines)}):")
        for line in lines[: limit if limit is not None else len(lines)]:
            print(line)
        if limit is not None and len(lines) > limit:
            print(f"  ... {len(lines) - limit} more (--mismatches N, or --json FILE)")


def main():
    global ASK_EVERY, WAIT_FOR_ASKS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--fixtures", action="store_true", help="the committed subset, tests/judge/fixtures")
    which.add_argument("--full", action="store_true", help="the downloaded packages (fetch.py)")
    parser.add_argument("--cache", default=os.environ.get("RATIONALE_JUDGE_CACHE", "/tmp/rationale-judge-cache"))
    parser.add_argument("--bin", default=default_binary())
    parser.add_argument("--modes", default=None, help="comma-separated, of " + ",".join(ALL_MODES))
    parser.add_argument("--only", default=None)
    parser.add_argument("--languages", default=None, help="comma-separated, of " + ",".join(LANGUAGES))
    parser.add_argument("--mismatches", type=int, default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--threshold", action="append", default=[], metavar="LANGUAGE=PRECISION,RECALL",
                        help="fail when the language's edits row falls below these (repeatable)")
    parser.add_argument("--ask-every", type=int, default=ASK_EVERY, help="keystrokes between requests while typing")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the requests sent while editing")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (workspaces, logs, journals)")
    args = parser.parse_args()
    ASK_EVERY = max(1, args.ask_every)
    WAIT_FOR_ASKS = not args.no_wait

    thresholds = {}
    for item in args.threshold:
        try:
            language, _, numbers = item.partition("=")
            precision, recall = (float(x) for x in numbers.split(","))
        except ValueError:
            parser.error(f"--threshold {item}: write LANGUAGE=PRECISION,RECALL, e.g. python=0.96,0.96")
        thresholds[language] = (precision, recall)
    modes = tuple(args.modes.split(",")) if args.modes else (ALL_MODES if args.full else EDIT_MODES)
    for mode in modes:
        if mode not in ALL_MODES:
            parser.error(f"unknown mode {mode}")
    if not Path(args.bin).is_file():
        parser.error(f"no server binary at {args.bin}: build it (cargo build --release -p rationale) or pass --bin")

    pairs = load_pairs(args)
    packages = collections.OrderedDict()
    for pair in pairs:
        packages.setdefault(pair["package"], []).append(pair)

    work = Path(tempfile.mkdtemp(prefix="rationale-judge-"))
    started = time.monotonic()
    results = []
    try:
        for package, members in packages.items():
            results.extend(run_package(args.bin, package, members, modes, work))
    finally:
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    rows = summarise(results, modes)
    replays = [r for r in results if "mode" in r]
    print(f"{len(pairs)} file pairs from {len(packages)} packages, {len(replays)} replays, "
          f"{sum(r['keystrokes'] for r in replays)} keystrokes, {time.monotonic() - started:.1f} s\n")
    print_table(rows)
    print_mismatches(results, args.mismatches)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"rows": rows, "results": results}, handle, indent=1)

    failed = False
    bad_text = [r for r in replays if not r.get("text_ok", True)]
    for r in bad_text:
        print(f"TEXT: the journal of {r['relative']} does not rebuild v2", file=sys.stderr)
        failed = True
    for language, (min_precision, min_recall) in thresholds.items():
        row = next((r for r in rows if r["mode"] == "edits" and r["language"] == language), None)
        if row is None:
            print(f"NO FIGURES for {language}: nothing of it was replayed", file=sys.stderr)
            failed = True
        elif row["precision"] < min_precision or row["recall"] < min_recall:
            print(f"BELOW THRESHOLD: {language} precision {row['precision']:.3f} (min {min_precision}), "
                  f"recall {row['recall']:.3f} (min {min_recall})", file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
