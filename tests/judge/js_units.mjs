// The independent judge's view of a JavaScript file: its units and each unit's own-token signature.
//
// Usage: node js_units.mjs [--tokens] FILE...  ->  one JSON object on stdout,
// {FILE: {"units": [...]}} or {FILE: {"error": "..."}} for a file acorn cannot parse.
//
// Written from the product's rules (SPEC.md, "Units"), not from the server's code; the parser is
// acorn, not tree-sitter. Units:
// - function and generator declarations (`function`), class declarations and named class
//   expressions (`class`);
// - methods of class bodies, named by their key (`method`); class fields whose value is a function
//   or an arrow function are methods too;
// - variable declarators whose value is a function, an arrow function or a class, named by the
//   variable; the unit's text is the declarator (`foo = () => {}`), not the statement;
// - assignments (`=`) whose right side is a function, an arrow function or a class, named by the
//   left side as written (`Router.prototype.handle`); the text is the assignment expression;
// - object properties whose value is a function or an arrow function, and method shorthands
//   (getters and setters included), named by the key (`function`).
// Names of keys: an identifier as written, a private name with its `#`, a string without its
// quotes, a number as written, a computed key as written between its brackets. Function
// expressions anywhere else (callbacks, IIFEs) are not units: they belong to the enclosing unit.
// A class that is the value of a declarator or an assignment is that one unit, not two.
//
// Own tokens: the tokens and comments inside a unit's text that are in no nested unit (a nested
// unit is cut out and leaves nothing in its place: its appearing, disappearing or changing is its
// own change, not its parent's); the module's own tokens are those outside every top-level unit. A token counts as its exact source text; a comment as its lines
// with surrounding whitespace trimmed; whitespace between tokens does not count.

import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import * as acorn from "acorn";

const FUNCTION_VALUES = new Set(["FunctionExpression", "ArrowFunctionExpression"]);

function parse(source) {
  const tokens = [];
  const options = {
    ecmaVersion: "latest",
    allowHashBang: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    onToken: (token) => {
      if (token.type !== acorn.tokTypes.eof) tokens.push({ start: token.start, end: token.end, comment: false });
    },
    onComment: (_block, _text, start, end) => tokens.push({ start, end, comment: true }),
  };
  let ast;
  try {
    ast = acorn.parse(source, { ...options, sourceType: "module" });
  } catch (moduleError) {
    // Old CommonJS code may use what modules forbid (`with`, octal literals): read it as a script.
    tokens.length = 0;
    ast = acorn.parse(source, { ...options, sourceType: "script" });
  }
  tokens.sort((a, b) => a.start - b.start);
  return { ast, tokens };
}

function keyName(source, key, computed) {
  const raw = source.slice(key.start, key.end);
  if (computed) return raw;
  if (key.type === "Literal" && typeof key.value === "string") return raw.slice(1, -1);
  return raw; // Identifier, PrivateIdentifier (with its #), number
}

function isNode(value) {
  return value !== null && typeof value === "object" && typeof value.type === "string";
}

function children(node) {
  const out = [];
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "range") continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

// What unit, if any, a node is: {name, kind, start, end} where the unit's text is source[start, end).
function unitOf(source, node, parent) {
  switch (node.type) {
    case "FunctionDeclaration":
      return node.id ? { name: node.id.name, kind: "function" } : null;
    case "ClassDeclaration":
      return node.id ? { name: node.id.name, kind: "class" } : null;
    case "ClassExpression": {
      // The value of a declarator or an assignment is that unit already.
      const owned =
        (parent?.type === "VariableDeclarator" && parent.init === node && parent.id.type === "Identifier") ||
        (parent?.type === "AssignmentExpression" && parent.right === node && parent.operator === "=" &&
          ["Identifier", "MemberExpression"].includes(parent.left.type));
      return node.id && !owned ? { name: node.id.name, kind: "class" } : null;
    }
    case "MethodDefinition":
      return { name: keyName(source, node.key, node.computed), kind: "method" };
    case "PropertyDefinition":
      return node.value && FUNCTION_VALUES.has(node.value.type)
        ? { name: keyName(source, node.key, node.computed), kind: "method" }
        : null;
    case "Property":
      if (parent?.type !== "ObjectExpression") return null; // a pattern's property
      if (node.method || node.kind === "get" || node.kind === "set" || FUNCTION_VALUES.has(node.value.type)) {
        return { name: keyName(source, node.key, node.computed), kind: "function" };
      }
      return null;
    case "VariableDeclarator":
      if (node.id.type !== "Identifier" || !node.init) return null;
      if (FUNCTION_VALUES.has(node.init.type)) return { name: node.id.name, kind: "function" };
      if (node.init.type === "ClassExpression") return { name: node.id.name, kind: "class" };
      return null;
    case "AssignmentExpression":
      if (node.operator !== "=" || !["Identifier", "MemberExpression"].includes(node.left.type)) return null;
      if (FUNCTION_VALUES.has(node.right.type)) {
        return { name: source.slice(node.left.start, node.left.end), kind: "function" };
      }
      if (node.right.type === "ClassExpression") {
        return { name: source.slice(node.left.start, node.left.end), kind: "class" };
      }
      return null;
    default:
      return null;
  }
}

function findUnits(source, ast) {
  const units = [{ qualified: "<module>", kind: "module", start: 0, end: source.length, parent: null, kids: [], tokens: [] }];
  // An explicit stack: minified or generated files nest deeper than the call stack likes.
  const stack = [{ node: ast, parent: null, owner: 0 }];
  while (stack.length) {
    const { node, parent, owner } = stack.pop();
    let inner = owner;
    const found = unitOf(source, node, parent);
    if (found) {
      const up = units[owner];
      units.push({
        qualified: up.parent === null ? found.name : `${up.qualified}.${found.name}`,
        kind: found.kind,
        start: node.start,
        end: node.end,
        parent: owner,
        kids: [],
        tokens: [],
      });
      inner = units.length - 1;
      up.kids.push(inner);
    }
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i], parent: node, owner: inner });
  }
  // Children were pushed in reverse, so they pop in source order; the units are in preorder.
  return units;
}

function signatures(source, withTokens) {
  const { ast, tokens } = parse(source);
  const units = findUnits(source, ast);
  for (const token of tokens) {
    let owner = 0;
    for (;;) {
      const next = units[owner].kids.find((k) => units[k].start <= token.start && token.start < units[k].end);
      if (next === undefined) break;
      owner = next;
    }
    const raw = source.slice(token.start, token.end);
    units[owner].tokens.push(token.comment ? "comment:" + raw.split(/\r\n|\r|\n/).map((l) => l.trim()).join("\n") : raw);
  }
  return units.map((unit) => ({
    name: unit.qualified,
    kind: unit.kind,
    start: unit.start,
    end: unit.end,
    signature: createHash("sha256").update(JSON.stringify(unit.tokens)).digest("hex").slice(0, 16),
    tokens: withTokens ? unit.tokens : unit.tokens.length,
  }));
}

const args = process.argv.slice(2);
const withTokens = args.includes("--tokens");
const out = {};
for (const path of args.filter((a) => a !== "--tokens")) {
  try {
    out[path] = { units: signatures(readFileSync(path, "utf8"), withTokens) };
  } catch (error) {
    out[path] = { error: `${error.name}: ${error.message}` };
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
