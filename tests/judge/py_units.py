#!/usr/bin/env python3
"""The independent judge's view of a Python file: its units and each unit's own-token signature.

Usage: python3 py_units.py [--tokens] FILE...  ->  one JSON object on stdout,
{FILE: {"units": [...]}} or {FILE: {"error": "..."}} for a file that Python cannot parse.

Written from the product's rules (SPEC.md, "Units"), not from the server's code, with the standard
library only: `ast` finds the units and their syntax, `tokenize` gives the tokens with comments
(which `ast` drops).

- Units are functions (sync and async) and classes; a function whose parent statement list is a
  class body is a `method`. A unit's text starts at its first decorator's `@` and ends where
  `ast` ends it, stretched to the end of that line: what follows the last statement on its line
  (a `# type: ignore` comment, a `;`) is the unit's, not its parent's.
- The qualified name joins the names of the enclosing units, outermost first, with `.`.
- A unit's own text is its text with every nested unit cut out, leaving nothing in its place: a
  nested unit appearing, disappearing or changing is that unit's change, not its parent's. The
  module's own text is everything outside the top-level units.
- Two own texts are the same when they have the same tokens and the same syntax:
  - tokens: every token inside the own text with its type and exact text (string contents count,
    spaces included), a comment as its text with the line's surrounding whitespace trimmed. The
    tokens Python makes of layout (NEWLINE, NL, INDENT, DEDENT) are whitespace and do not count:
    `def f(): ...` on one line and on two is the same unit;
  - syntax: `ast.dump` of the unit's node with nested units left out and without positions, so that moving a statement into or out of a block (the same tokens in
    another structure) is a change.
"""

import ast
import hashlib
import io
import json
import sys
import tokenize

LAYOUT = {tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def read_source(path):
    """The file's text, newlines as they are (the driver normalises them before anything)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


class Unit:
    def __init__(self, node, name, qualified, kind, start, end, parent):
        self.node = node  # None for the module
        self.name = name
        self.qualified = qualified
        self.kind = kind
        self.start = start  # (line, character column); lines from 1 as ast and tokenize count
        self.end = end
        self.parent = parent  # index in the unit list, None for the module
        self.children = []
        self.tokens = []


def char_col(lines, line, byte_col):
    """ast counts columns in UTF-8 bytes; tokenize counts characters."""
    text = lines[line - 1] if line - 1 < len(lines) else ""
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def unit_start(lines, node):
    """Where a definition's text starts: its first decorator's `@`, else the `def`/`class`."""
    if node.decorator_list:
        first = node.decorator_list[0]
        line = first.lineno
        col = char_col(lines, line, first.col_offset)
        at = lines[line - 1].rfind("@", 0, col)
        return (line, at if at >= 0 else col)
    return (node.lineno, char_col(lines, node.lineno, node.col_offset))


def find_units(source):
    tree = ast.parse(source)
    # Not str.splitlines: it also splits on form feeds and other separators that Python does not
    # treat as line ends, and line numbers must follow Python's own rule.
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    units = [Unit(tree, "<module>", "<module>", "module", (1, 0), (len(lines) + 1, 0), None)]

    def visit(owner, parent_index, in_class):
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            statements = getattr(owner, field, None)
            if isinstance(statements, list):
                for statement in statements:
                    visit_node(statement, parent_index, in_class and field == "body")

    def visit_node(node, parent_index, directly_in_class):
        if isinstance(node, DEFINITIONS):
            if isinstance(node, ast.ClassDef):
                kind = "class"
            else:
                kind = "method" if directly_in_class else "function"
            parent = units[parent_index]
            qualified = node.name if parent.parent is None else parent.qualified + "." + node.name
            end = (node.end_lineno, len(lines[node.end_lineno - 1]))
            units.append(Unit(node, node.name, qualified, kind, unit_start(lines, node), end, parent_index))
            index = len(units) - 1
            parent.children.append(index)
            visit(node, index, kind == "class")
        else:
            # Compound statements (if, for, while, with, try, match) hold statement lists whose
            # definitions are not directly in a class body.
            visit(node, parent_index, False)

    visit(tree, 0, False)
    return units


def own_syntax(unit_node, unit_nodes):
    """ast.dump of a unit's node without positions, nested units left out."""

    def nested(value):
        return isinstance(value, ast.AST) and value is not unit_node and id(value) in unit_nodes

    def dump(value):
        if isinstance(value, ast.AST):
            fields = ",".join(f"{name}={dump(getattr(value, name, None))}" for name in value._fields)
            return f"{type(value).__name__}({fields})"
        if isinstance(value, list):
            return "[" + ",".join(dump(item) for item in value if not nested(item)) + "]"
        return repr(value)

    return dump(unit_node)


def innermost(units, pos):
    """The innermost unit whose text contains pos, the (line, col) where a token starts."""
    current = 0
    while True:
        for child in units[current].children:
            if units[child].start <= pos < units[child].end:
                current = child
                break
        else:
            return current


def signatures(source, with_tokens=False):
    units = find_units(source)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in LAYOUT:
            continue
        owner = innermost(units, token.start)
        if token.type == tokenize.COMMENT:
            units[owner].tokens.append(("COMMENT", token.string.strip()))
        else:
            units[owner].tokens.append((tokenize.tok_name[token.type], token.string))

    unit_nodes = {id(unit.node) for unit in units[1:]}
    result = []
    for unit in units:
        syntax = own_syntax(unit.node, unit_nodes)
        digest = hashlib.sha256(json.dumps([unit.tokens, syntax]).encode("utf-8")).hexdigest()[:16]
        result.append(
            {
                "name": unit.qualified,
                "kind": unit.kind,
                "start": list(unit.start),
                "end": list(unit.end),
                "signature": digest,
                "tokens": unit.tokens if with_tokens else len(unit.tokens),
            }
        )
    return result


def main(args):
    # --tokens: each unit's own tokens instead of their count, to see why two signatures differ.
    with_tokens = "--tokens" in args
    out = {}
    for path in (arg for arg in args if arg != "--tokens"):
        try:
            out[path] = {"units": signatures(read_source(path), with_tokens)}
        except (SyntaxError, tokenize.TokenError, ValueError, UnicodeDecodeError, RecursionError) as error:
            out[path] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
