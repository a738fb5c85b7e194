// The independent judge's view of a TypeScript or TSX file: its units and each unit's own-token
// signature.
//
// Usage: node ts_units.mjs [--tokens] FILE...  ->  one JSON object on stdout,
// {FILE: {"units": [...]}} or {FILE: {"error": "..."}} for a file with syntax errors.
//
// Written from the product's rules (README "Units and prompts", grammars/typescript/units.scm's
// notes), not from the server's code; the parser is TypeScript's own compiler API, not
// tree-sitter. Units: JavaScript's (see js_units.mjs), and
// - interfaces (`interface`), type aliases (`type`), enums (`enum`, `const enum` included),
//   namespaces and ambient modules (`namespace`; `namespace A.B` is one unit named `A.B`,
//   `declare module "x"` is named `x`, `declare global` is not a unit);
// - function overload signatures and functions declared without a body (`function`), abstract
//   classes (`class`), and in a class body overload signatures and abstract methods (`method`).
//   The members of an interface are not units.
// Where a unit starts and ends (which tokens are its own):
// - `export`, `default` and `declare` are not part of a declaration's unit, except that a class
//   whose decorators are written before `export` starts at its first decorator;
// - a class method's (or accessor's, or constructor's) decorators are not part of it, a class
//   field's are; a class member's trailing `;` is not part of it.
// Own tokens are counted as in js_units.mjs: every token's exact text, every comment's lines
// trimmed (comments are read from the text between tokens), whitespace not at all.

import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const ts = createRequire(import.meta.url)("typescript");
const K = ts.SyntaxKind;

function isFunctionValue(node) {
  return node && (node.kind === K.FunctionExpression || node.kind === K.ArrowFunction);
}

function keyName(source, name) {
  if (name.kind === K.ComputedPropertyName) return name.expression.getText();
  if (name.kind === K.StringLiteral || name.kind === K.NoSubstitutionTemplateLiteral) return name.text;
  return name.getText();
}

function modifierTokens(node) {
  return (ts.canHaveModifiers(node) || ts.canHaveDecorators(node)) && node.modifiers ? node.modifiers : [];
}

// Where a declaration's unit starts: past `export`, `default` and `declare`.
function declarationStart(node) {
  const modifiers = modifierTokens(node);
  const decoratorFirst = modifiers.length && modifiers[0].kind === K.Decorator;
  const exported = modifiers.some((m) => m.kind === K.ExportKeyword);
  if (node.kind === K.ClassDeclaration && decoratorFirst && exported) return node.getStart();
  for (const modifier of modifiers) {
    if (![K.ExportKeyword, K.DefaultKeyword, K.DeclareKeyword].includes(modifier.kind)) return modifier.getStart();
  }
  const after = modifiers.length ? modifiers[modifiers.length - 1].end : node.pos;
  return ts.skipTrivia(node.getSourceFile().text, after);
}

// Where a class member's unit starts and ends.
function memberRange(node, keepDecorators) {
  const modifiers = modifierTokens(node);
  let start = node.getStart();
  if (!keepDecorators) {
    const rest = modifiers.filter((m) => m.kind !== K.Decorator);
    const lastDecorator = [...modifiers].reverse().find((m) => m.kind === K.Decorator);
    if (rest.length) start = rest[0].getStart();
    else if (lastDecorator) start = ts.skipTrivia(node.getSourceFile().text, lastDecorator.end);
  }
  let end = node.end;
  const last = node.getLastToken();
  if (last && last.kind === K.SemicolonToken) end = last.getStart();
  return { start, end };
}

function moduleName(node) {
  let name = node.name.kind === K.StringLiteral ? node.name.text : node.name.text;
  let body = node.body;
  while (body && body.kind === K.ModuleDeclaration) {
    name += "." + body.name.text;
    body = body.body;
  }
  return name;
}

// What unit, if any, a node is: {name, kind, start, end}.
function unitOf(source, node) {
  const parent = node.parent;
  const whole = () => ({ start: declarationStart(node), end: node.end });
  switch (node.kind) {
    case K.FunctionDeclaration:
      return node.name ? { name: node.name.text, kind: "function", ...whole() } : null;
    case K.ClassDeclaration:
      return node.name ? { name: node.name.text, kind: "class", ...whole() } : null;
    case K.InterfaceDeclaration:
      return { name: node.name.text, kind: "interface", ...whole() };
    case K.TypeAliasDeclaration:
      return { name: node.name.text, kind: "type", ...whole() };
    case K.EnumDeclaration:
      return { name: node.name.text, kind: "enum", ...whole() };
    case K.ModuleDeclaration:
      if (node.flags & ts.NodeFlags.GlobalAugmentation) return null;
      if (parent.kind === K.ModuleDeclaration) return null; // the B of `namespace A.B`
      return { name: moduleName(node), kind: "namespace", ...whole() };
    case K.ClassExpression: {
      const owned =
        (parent.kind === K.VariableDeclaration && parent.initializer === node && parent.name.kind === K.Identifier) ||
        (parent.kind === K.BinaryExpression && parent.right === node && parent.operatorToken.kind === K.EqualsToken &&
          [K.Identifier, K.PropertyAccessExpression, K.ElementAccessExpression].includes(parent.left.kind));
      return node.name && !owned ? { name: node.name.text, kind: "class", start: node.getStart(), end: node.end } : null;
    }
    case K.MethodDeclaration:
    case K.GetAccessor:
    case K.SetAccessor:
    case K.Constructor: {
      const name = node.kind === K.Constructor ? "constructor" : keyName(source, node.name);
      if (parent.kind === K.ObjectLiteralExpression) {
        return { name, kind: "function", start: node.getStart(), end: node.end };
      }
      if (ts.isClassLike(parent)) return { name, kind: "method", ...memberRange(node, false) };
      return null;
    }
    case K.PropertyDeclaration:
      return isFunctionValue(node.initializer)
        ? { name: keyName(source, node.name), kind: "method", ...memberRange(node, true) }
        : null;
    case K.PropertyAssignment:
      return isFunctionValue(node.initializer)
        ? { name: keyName(source, node.name), kind: "function", start: node.getStart(), end: node.end }
        : null;
    case K.VariableDeclaration:
      if (node.name.kind !== K.Identifier || !node.initializer) return null;
      if (isFunctionValue(node.initializer)) return { name: node.name.text, kind: "function", start: node.getStart(), end: node.end };
      if (node.initializer.kind === K.ClassExpression) return { name: node.name.text, kind: "class", start: node.getStart(), end: node.end };
      return null;
    case K.BinaryExpression: {
      if (node.operatorToken.kind !== K.EqualsToken) return null;
      if (![K.Identifier, K.PropertyAccessExpression, K.ElementAccessExpression].includes(node.left.kind)) return null;
      const name = node.left.getText();
      if (isFunctionValue(node.right)) return { name, kind: "function", start: node.getStart(), end: node.end };
      if (node.right.kind === K.ClassExpression) return { name, kind: "class", start: node.getStart(), end: node.end };
      return null;
    }
    default:
      return null;
  }
}

function analyse(path, source, withTokens) {
  const kind = path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, kind);
  if (file.parseDiagnostics && file.parseDiagnostics.length) {
    throw new Error(ts.flattenDiagnosticMessageText(file.parseDiagnostics[0].messageText, "\n"));
  }
  const units = [{ qualified: "<module>", kind: "module", start: 0, end: source.length, parent: null, kids: [], tokens: [] }];
  const leaves = [];
  const stack = [{ node: file, owner: 0 }];
  while (stack.length) {
    const { node, owner } = stack.pop();
    if (ts.isJSDoc(node)) continue;
    let inner = owner;
    const found = node === file ? null : unitOf(source, node);
    if (found) {
      const up = units[owner];
      units.push({
        qualified: up.parent === null ? found.name : `${up.qualified}.${found.name}`,
        kind: found.kind, start: found.start, end: found.end, parent: owner, kids: [], tokens: [],
      });
      inner = units.length - 1;
      up.kids.push(inner);
    }
    const kids = node.getChildren(file);
    if (!kids.length && node.kind !== K.EndOfFileToken && node !== file) leaves.push(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], owner: inner });
  }
  // The tokens, and the comments between them.
  const items = [];
  let at = 0;
  const gap = (to) => {
    const text = source.slice(at, to);
    const firstNonBlank = text.search(/\S/);
    if (firstNonBlank >= 0) {
      const lines = text.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l);
      items.push({ start: at + firstNonBlank, text: "comment:" + lines.join("\n") });
    }
  };
  leaves.sort((a, b) => a.getStart(file) - b.getStart(file));
  for (const leaf of leaves) {
    const start = leaf.getStart(file);
    if (start < at) continue;
    gap(start);
    items.push({ start, text: source.slice(start, leaf.end) });
    at = leaf.end;
  }
  gap(source.length);
  for (const item of items) {
    let owner = 0;
    for (;;) {
      const next = units[owner].kids.find((k) => units[k].start <= item.start && item.start < units[k].end);
      if (next === undefined) break;
      owner = next;
    }
    units[owner].tokens.push(item.text);
  }
  return units.map((unit) => ({
    name: unit.qualified, kind: unit.kind, start: unit.start, end: unit.end,
    signature: createHash("sha256").update(JSON.stringify(unit.tokens)).digest("hex").slice(0, 16),
    tokens: withTokens ? unit.tokens : unit.tokens.length,
  }));
}

const args = process.argv.slice(2);
const withTokens = args.includes("--tokens");
const out = {};
for (const path of args.filter((a) => a !== "--tokens")) {
  try {
    out[path] = { units: analyse(path, readFileSync(path, "utf8"), withTokens) };
  } catch (error) {
    out[path] = { error: `${error.name}: ${error.message}` };
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
