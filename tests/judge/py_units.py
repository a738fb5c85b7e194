#!/usr/bin/env python3
"""The independent judge's view of a Python file: its units and each unit's own-token signature.

Usage: python3 py_units.py [--tokens] FILE...  ->  one JSON object on stdout, {FILE: {"units": [...]}} or
{FILE: {"error": "..."}} for a file that Python cannot parse.

This is written from the product's rules (SPEC.md, "Units"), not from the server's code, and uses
only the standard library: `ast` finds the units, `tokenize` gives the token sequence with
comments (which `ast` drops).

- Units are functions (sync and async) and classes; a function whose parent statement list is a
  class body is a `method`. A unit's text starts at its first decorator's `@`.
- The qualified name joins the names of the enclosing units, outermost first, with `.`.
- A unit's own tokens are the tokens inside its text that are in no nested unit, with one
  placeholder token `<kind>` where each directly nested unit stands. The module's own tokens are
  every token outside the top-level units.
- Each token counts with its type and its exact text, except a comment, whose lines count with
  their surrounding whitespace trimmed. Whitespace between tokens does not count. Structure that
  Python carries in whitespace does: every logical line opens with a marker of its indentation
  depth relative to the unit's first line, and NEWLINE tokens (the end of a logical line) count.
  INDENT and DEDENT tokens themselves are left out, because `tokenize` puts a DEDENT where the
  next statement starts, which can be outside the unit that the block closes.
"""

import ast
import hashlib
import io
import json
import sys
import tokenize

SKIPPED = {tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}


def read_source(path):
    """The file's text, newlines as they are (the driver normalises them before anything)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


class Unit:
    def __init__(self, name, qualified, kind, start, end, parent):
        self.name = name
        self.qualified = qualified
        self.kind = kind
        self.start = start  # (line, character column), 1-based lines as ast and tokenize count
        self.end = end
        self.parent = parent  # index in the unit list, None for the module
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
        text = lines[line - 1]
        at = text.rfind("@", 0, col)
        return (line, at if at >= 0 else col)
    return (node.lineno, char_col(lines, node.lineno, node.col_offset))


def find_units(source):
    tree = ast.parse(source)
    # Not str.splitlines: it also splits on form feeds and other separators that Python does not
    # treat as line ends, and line numbers must follow Python's own rule.
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end_line = len(lines)
    units = [Unit("<module>", "<module>", "module", (1, 0), (end_line + 1, 0), None)]

    def visit(body_owner, parent_index, in_class_body):
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(body_owner, field, None)
            if not isinstance(children, list):
                continue
            for child in children:
                visit_node(child, parent_index, in_class_body and field == "body")

    def visit_node(node, parent_index, directly_in_class):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if isinstance(node, ast.ClassDef):
                kind = "class"
            else:
                kind = "method" if directly_in_class else "function"
            parent = units[parent_index]
            qualified = node.name if parent.parent is None else parent.qualified + "." + node.name
            start = unit_start(lines, node)
            end = (node.end_lineno, char_col(lines, node.end_lineno, node.end_col_offset))
            units.append(Unit(node.name, qualified, kind, start, end, parent_index))
            index = len(units) - 1
            visit(node, index, isinstance(node, ast.ClassDef))
        else:
            # Compound statements (if, for, while, with, try, match) hold statement lists whose
            # definitions are not directly in a class body.
            visit(node, parent_index, False)

    visit(tree, 0, False)
    return units


def innermost(units, children, pos):
    """The innermost unit whose text contains pos (a (line, col) start of a token)."""
    current = 0
    while True:
        for child in children[current]:
            unit = units[child]
            if unit.start <= pos < unit.end:
                current = child
                break
        else:
            return current


def signatures(source, with_tokens=False):
    units = find_units(source)
    children = [[] for _ in units]
    for index, unit in enumerate(units):
        if unit.parent is not None:
            children[unit.parent].append(index)

    # Indentation depth of each unit's first line, so that a unit's markers are relative to it.
    depth_at_unit = {}
    depth = 0
    line_start = True
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    placed = set()
    for token in tokens:
        if token.type == tokenize.INDENT:
            depth += 1
            continue
        if token.type == tokenize.DEDENT:
            depth -= 1
            continue
        if token.type in SKIPPED:
            continue
        owner = innermost(units, children, token.start)
        # A nested unit stands in its parent's tokens as one placeholder, where it starts.
        chain = []
        walk = owner
        while walk not in placed and units[walk].parent is not None:
            chain.append(walk)
            walk = units[walk].parent
        for index in reversed(chain):
            placed.add(index)
            depth_at_unit[index] = depth
            units[units[index].parent].tokens.append(("unit", "<" + units[index].kind + ">"))
        unit = units[owner]
        if line_start and token.type != tokenize.COMMENT:
            unit.tokens.append(("depth", str(depth - depth_at_unit.get(owner, 0))))
        if token.type == tokenize.COMMENT:
            text = "\n".join(line.strip() for line in token.string.splitlines())
            unit.tokens.append(("comment", text))
        elif token.type == tokenize.NEWLINE:
            unit.tokens.append(("NEWLINE", ""))
        else:
            unit.tokens.append((tokenize.tok_name[token.type], token.string))
        if token.type == tokenize.NEWLINE:
            line_start = True
        elif token.type != tokenize.COMMENT:
            line_start = False

    result = []
    for unit in units:
        digest = hashlib.sha256(json.dumps(unit.tokens).encode("utf-8")).hexdigest()[:16]
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
    paths = [arg for arg in args if arg != "--tokens"]
    out = {}
    for path in paths:
        try:
            out[path] = {"units": signatures(read_source(path), with_tokens)}
        except (SyntaxError, tokenize.TokenError, ValueError, UnicodeDecodeError) as error:
            out[path] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
