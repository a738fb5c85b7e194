//! Tests of extraction as a whole, through its entry points: the units each language's query
//! finds, their nesting, names, text, own text and signature, in small sources, broken code and
//! real files. The helpers `parse` and `fixture` serve the other files' tests too.

use ropey::Rope;
use tree_sitter::Tree;

use super::{extract, extract_hiding, Unit, UnitKind, MODULE_NAME};
use crate::syntax::{language_named, parse_rope, Language};

pub(super) fn parse(language: &Language, rope: &Rope) -> Tree {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language.grammar()).unwrap();
    parse_rope(&mut parser, rope, None).unwrap()
}

fn units(language: &str, source: &str) -> Vec<Unit> {
    let language = language_named(language).unwrap();
    let rope = Rope::from_str(source);
    extract(language, &parse(language, &rope), &rope)
}

fn python(source: &str) -> Vec<Unit> {
    units("python", source)
}

fn javascript(source: &str) -> Vec<Unit> {
    units("javascript", source)
}

/// `kind qualified` of every unit but the module, in order.
fn outline(units: &[Unit]) -> Vec<String> {
    units[1..].iter().map(|unit| format!("{} {}", unit.kind, unit.qualified)).collect()
}

fn named<'a>(units: &'a [Unit], qualified: &str) -> &'a Unit {
    units
        .iter()
        .find(|unit| unit.qualified == qualified)
        .unwrap_or_else(|| panic!("no unit {qualified} in {:?}", outline(units)))
}

/// The signature of the single unit `qualified` in `source`.
fn signature(language: &str, source: &str, qualified: &str) -> u64 {
    named(&units(language, source), qualified).signature
}

/// A unit's own text, as the tests spell it out to show what is the unit's own: its text with
/// each directly nested unit's replaced by `⟨kind⟩`. The server keeps only its signature.
fn own_text(units: &[Unit], unit: &Unit) -> String {
    let index = units.iter().position(|u| std::ptr::eq(u, unit)).expect("a unit of `units`");
    let text = unit.text.to_string();
    let local = |at: usize| at - unit.range.start;
    let (mut own, mut at) = (String::new(), unit.range.start);
    for child in units.iter().filter(|u| u.parent == Some(index)) {
        own.push_str(&text[local(at)..local(child.range.start.max(at))]);
        own.push_str(&format!("⟨{}⟩", child.kind));
        at = child.range.end.max(at);
    }
    own.push_str(&text[local(at)..]);
    own
}

#[test]
fn why_comments_are_no_part_of_any_unit() {
    let language = language_named("python").unwrap();
    let hiding = |source: &str, marker: &str| {
        let rope = Rope::from_str(source);
        extract_hiding(language, &parse(language, &rope), &rope, marker)
    };
    let plain = "class A:\n    def f(self):\n        return 1\n";
    let with = "# why: a reason above the class\nclass A:\n    # why: a reason\n    #   continued\n    def f(self):\n        return 1  # why: trailing\n";
    let (units, hidden) = hiding(with, "why:");
    assert_eq!(hidden.len(), 3, "{hidden:?}");
    let (expected, none) = hiding(plain, "why:");
    assert!(none.is_empty());
    let seen = |units: &[Unit]| {
        units.iter().map(|u| (u.qualified.clone(), u.signature, u.text.to_string())).collect::<Vec<_>>()
    };
    assert_eq!(seen(&units), seen(&expected));
    // Without a marker they are comments like any other, and part of their units.
    let (units, hidden) = hiding(with, "");
    assert!(hidden.is_empty());
    assert_ne!(named(&units, "A.f").signature, named(&expected, "A.f").signature);
    assert!(named(&units, "A.f").text.to_string().contains("# why: trailing"));
}

const PYTHON: &str = r#"import os

@decorator
def top(a):
    def inner():
        class Local:
            def m(self): pass
        return Local
    return inner

class Session(Base):
    """Doc."""
    x = 1

    def __init__(self):
        pass

    @property
    def value(self):
        return self._v

    @value.setter
    def value(self, v):
        self._v = v

    class Nested:
        async def run(self): ...

    if DEBUG:
        def debug(self): pass

@dataclass(frozen=True)
class Point:
    x: int

    def norm(self):
        return abs(self.x)
"#;

#[test]
fn python_units_nest_with_their_kinds() {
    let units = python(PYTHON);
    assert_eq!(
        outline(&units),
        [
            "function top",
            "function top.inner",
            "class top.inner.Local",
            "method top.inner.Local.m",
            "class Session",
            "method Session.__init__",
            "method Session.value",
            "method Session.value",
            "class Session.Nested",
            "method Session.Nested.run",
            // In a block inside the class body, not directly in it.
            "function Session.debug",
            "class Point",
            "method Point.norm",
        ]
    );
    let module = &units[0];
    assert_eq!((module.name.as_str(), module.kind, module.parent), (MODULE_NAME, UnitKind::Module, None));
    assert_eq!((module.range.clone(), module.name_range.clone()), (0..PYTHON.len(), 0..0));
    assert_eq!(module.text.to_string().as_str(), PYTHON);
    for (index, unit) in units.iter().enumerate().skip(1) {
        let parent = unit.parent.unwrap();
        assert!(parent < index, "parents come first");
        assert!(units[parent].range.start <= unit.range.start && unit.range.end <= units[parent].range.end);
        assert_eq!(unit.text.to_string().as_str(), &PYTHON[unit.range.clone()]);
        assert_eq!(&PYTHON[unit.name_range.clone()], unit.name);
    }
    assert_eq!(named(&units, "top.inner.Local.m").parent, Some(3));
}

#[test]
fn python_decorators_belong_to_their_unit() {
    let units = python(PYTHON);
    let top = named(&units, "top");
    assert!(top.text.to_string().starts_with("@decorator\ndef top(a):"), "{:?}", top.text);
    assert_eq!(&PYTHON[top.name_range.clone()], "top");
    let point = named(&units, "Point");
    assert!(point.text.to_string().starts_with("@dataclass(frozen=True)\nclass Point:"));
    let setters: Vec<&Unit> = units.iter().filter(|unit| unit.qualified == "Session.value").collect();
    assert!(setters[0].text.to_string().starts_with("@property\n"));
    assert!(setters[1].text.to_string().starts_with("@value.setter\n"));
    // The decorated function is one unit, not the definition and its decoration both.
    assert_eq!(units.iter().filter(|unit| unit.name == "top").count(), 1);
}

#[test]
fn own_text_replaces_nested_units_with_a_placeholder() {
    let units = python(PYTHON);
    let session = named(&units, "Session");
    assert_eq!(
        own_text(&units, session),
        "class Session(Base):\n    \"\"\"Doc.\"\"\"\n    x = 1\n\n    ⟨method⟩\n\n    ⟨method⟩\n\n    \
             ⟨method⟩\n\n    ⟨class⟩\n\n    if DEBUG:\n        ⟨function⟩"
    );
    assert_eq!(
        own_text(&units, named(&units, "top")),
        "@decorator\ndef top(a):\n    ⟨function⟩\n    return inner"
    );
    let module = &units[0];
    assert_eq!(own_text(&units, module), "import os\n\n⟨function⟩\n\n⟨class⟩\n\n⟨class⟩\n");
    let m = named(&units, "top.inner.Local.m");
    assert_eq!(own_text(&units, m), m.text.to_string());
}

#[test]
fn editing_or_renaming_a_nested_unit_leaves_the_parent_alone() {
    let before = python(PYTHON);
    let edited = python(
        &PYTHON.replace("        pass\n\n    @property", "        self.ready = True\n\n    @property"),
    );
    let renamed = python(&PYTHON.replace("def __init__(self)", "def __new__(cls)"));
    for after in [&edited, &renamed] {
        assert_eq!(own_text(after, named(after, "Session")), own_text(&before, named(&before, "Session")));
        assert_eq!(named(after, "Session").signature, named(&before, "Session").signature);
        assert_eq!(own_text(after, &after[0]), own_text(&before, &before[0]));
    }
    assert_ne!(
        own_text(&edited, named(&edited, "Session.__init__")),
        own_text(&before, named(&before, "Session.__init__"))
    );
}

const JAVASCRIPT: &str = r#"function plain(a) { return a; }
function* gen() { yield 1; }
class Widget extends Base {
  constructor() { super(); }
  get x() { return this._x; }
  set x(v) { this._x = v; }
  static create() { return new Widget(); }
  #secret() {}
  [Symbol.iterator]() {}
  'quoted name'() {}
  onClick = () => {};
  count = 0;
}
const arrow = (a) => a * 2;
let fn = function () {}, notAFunction = 1;
var named = function inner() {};
const Model = class ModelImpl {};
Router.prototype.handle = function handle(req) {
  const helper = () => req;
  return helper();
};
module.exports.parse = (s) => s;
exports.x = function* () {};
exports.Store = class {};
const api = {
  get(url) {},
  "post-json": function () {},
  [computed.key]: () => 1,
  value: 42,
  nested: { deep() {} },
};
app.get('/', function (req, res) { res.send('hi'); });
[1, 2].map(x => x * 2);
register(class Plugin {});
export function exported() {}
"#;

#[test]
fn javascript_units_nest_with_their_kinds() {
    let units = javascript(JAVASCRIPT);
    assert_eq!(
        outline(&units),
        [
            "function plain",
            "function gen",
            "class Widget",
            "method Widget.constructor",
            "method Widget.x",
            "method Widget.x",
            "method Widget.create",
            "method Widget.#secret",
            "method Widget.Symbol.iterator",
            "method Widget.quoted name",
            "method Widget.onClick",
            "function arrow",
            "function fn",
            "function named",
            "class Model",
            "function Router.prototype.handle",
            "function Router.prototype.handle.helper",
            "function module.exports.parse",
            "function exports.x",
            "class exports.Store",
            "function get",
            "function post-json",
            "function computed.key",
            "function deep",
            "class Plugin",
            "function exported",
        ]
    );
    for unit in &units[1..] {
        assert_eq!(unit.text.to_string().as_str(), &JAVASCRIPT[unit.range.clone()]);
        assert_eq!(&JAVASCRIPT[unit.name_range.clone()], unit.name);
    }
}

#[test]
fn typescript_units_add_types_namespaces_and_overloads() {
    let source = r#"@Component({ selector: "app" })
export class Widget<T> extends Base {
  private onClick = () => 1;
  constructor(private a: number) { super(); }
  m(a: string): void;
  m(a: any) {}
}
export abstract class Shape { abstract area(): number; }
interface Point { x: number; f(): void; }
export type Id = string | number;
export const enum Color { Red, Green }
namespace NS.Inner { export function helper() {} }
declare module "fs-extra" { function copy(): void; }
export function parse(s: string): number;
export function parse(s: any) { return 1; }
const twice = <T,>(a: T): T => a;
"#;
    let units = self::units("typescript", source);
    assert_eq!(
        outline(&units),
        [
            "class Widget",
            "method Widget.onClick",
            "method Widget.constructor",
            "method Widget.m",
            "method Widget.m",
            "class Shape",
            "method Shape.area",
            "interface Point",
            "type Id",
            "enum Color",
            "namespace NS.Inner",
            "function NS.Inner.helper",
            "namespace fs-extra",
            "function fs-extra.copy",
            "function parse",
            "function parse",
            "function twice",
        ]
    );
    // Decorators written before `export` are the class's.
    assert!(named(&units, "Widget").text.to_string().starts_with("@Component("));
    assert_eq!(own_text(&units, named(&units, "Point")), "interface Point { x: number; f(): void; }");
    assert_eq!(own_text(&units, named(&units, "NS.Inner")), "namespace NS.Inner { export ⟨function⟩ }");
    let tsx = self::units("tsx", "export const App = () => <div onClick={() => go()}>hi</div>;\n");
    assert_eq!(outline(&tsx), ["function App"]);
}

#[test]
fn go_methods_are_named_by_their_receiver_type() {
    let source = "\
package shop

type Cart struct {
\titems []Item
}

type (
\tID    int
\tStore interface{ Get(id ID) Cart }
)

type Alias = string

func (c *Cart) Total() int {
\tadd := func(a, b int) int { return a + b }
\treturn add(1, 2)
}

func (s *Stack[T]) Push(v T) {}

func (Cart) Empty() bool { return true }

func New[T any]() *Stack[T] { return nil }
";
    let units = self::units("go", source);
    assert_eq!(
        outline(&units),
        [
            "struct Cart",
            "type ID",
            "interface Store",
            "type Alias",
            "method Cart.Total",
            "method Stack.Push",
            "method Cart.Empty",
            "function New",
        ]
    );
    assert!(named(&units, "Cart").text.to_string().starts_with("type Cart struct"));
    assert_eq!(named(&units, "ID").text.to_string().as_str(), "ID    int");
    let total = named(&units, "Cart.Total");
    assert_eq!(&source[total.name_range.clone()], "Total");
    assert!(own_text(&units, total).contains("add := func(a, b int)"));
}

#[test]
fn rust_methods_are_named_by_their_impl() {
    let source = "\
#[derive(Debug)]
pub struct Cart { items: Vec<u32> }

impl Cart {
    pub fn total(&self) -> u32 { self.items.iter().sum() }
}

impl fmt::Display for Cart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, \"cart\") }
}

impl<T: Clone> From<Vec<T>> for Stack<T> {
    fn from(items: Vec<T>) -> Self { Stack { items } }
}

pub enum Event { Added, Removed }

trait Priced {
    fn price(&self) -> u32;
    fn doubled(&self) -> u32 { self.price() * 2 }
}

mod tests {
    fn helper() {
        fn inner() {}
    }
}

mod elsewhere;

macro_rules! cart {
    () => { Cart { items: vec![] } };
}
";
    let units = self::units("rust", source);
    assert_eq!(
        outline(&units),
        [
            "struct Cart",
            "impl Cart",
            "method Cart::total",
            "impl <Cart as fmt::Display>",
            "method <Cart as fmt::Display>::fmt",
            "impl <Stack as From<Vec<T>>>",
            "method <Stack as From<Vec<T>>>::from",
            "enum Event",
            "trait Priced",
            "method Priced::price",
            "method Priced::doubled",
            "mod tests",
            "function tests::helper",
            "function tests::helper::inner",
            "macro cart",
        ]
    );
    // Attributes are the item's siblings in the tree: they stay in the module's own text.
    assert_eq!(named(&units, "Cart").text.to_string().as_str(), "pub struct Cart { items: Vec<u32> }");
    assert!(own_text(&units, &units[0]).starts_with("#[derive(Debug)]\n⟨struct⟩"));
    let display = named(&units, "<Cart as fmt::Display>");
    assert_eq!(&source[display.name_range.clone()], "Cart");
    assert_eq!(own_text(&units, display), "impl fmt::Display for Cart {\n    ⟨method⟩\n}");
}

#[test]
fn javascript_units_span_the_declarator_or_assignment() {
    let units = javascript(JAVASCRIPT);
    assert_eq!(named(&units, "arrow").text.to_string().as_str(), "arrow = (a) => a * 2");
    assert_eq!(named(&units, "fn").text.to_string().as_str(), "fn = function () {}");
    assert_eq!(
        named(&units, "module.exports.parse").text.to_string().as_str(),
        "module.exports.parse = (s) => s"
    );
    assert_eq!(named(&units, "Model").text.to_string().as_str(), "Model = class ModelImpl {}");
    assert_eq!(named(&units, "Widget.onClick").text.to_string().as_str(), "onClick = () => {}");
    assert_eq!(named(&units, "post-json").text.to_string().as_str(), "\"post-json\": function () {}");
    assert_eq!(named(&units, "computed.key").text.to_string().as_str(), "[computed.key]: () => 1");
    assert_eq!(named(&units, "get").text.to_string().as_str(), "get(url) {}");
    let getter = units.iter().find(|unit| unit.qualified == "Widget.x").unwrap();
    assert_eq!(getter.text.to_string().as_str(), "get x() { return this._x; }");
}

#[test]
fn anonymous_callbacks_belong_to_the_enclosing_unit() {
    let source = "\
app.get('/', function (req, res) {
  res.send('hi');
});
function handler(items) {
  return items.map(x => x * 2).filter(function (x) { return x; });
}
";
    let units = javascript(source);
    assert_eq!(outline(&units), ["function handler"]);
    assert!(own_text(&units, &units[0]).starts_with("app.get('/', function (req, res) {"));
    assert!(own_text(&units, named(&units, "handler")).contains("map(x => x * 2)"));
}

#[test]
fn javascript_own_text_and_nesting() {
    let source = "\
function outer() {
  function inner() { return 1; }
  class Local { m() {} }
  return inner;
}
";
    let units = javascript(source);
    assert_eq!(
        outline(&units),
        ["function outer", "function outer.inner", "class outer.Local", "method outer.Local.m"]
    );
    assert_eq!(
        own_text(&units, named(&units, "outer")),
        "function outer() {\n  ⟨function⟩\n  ⟨class⟩\n  return inner;\n}"
    );
    assert_eq!(own_text(&units, named(&units, "outer.Local")), "class Local { ⟨method⟩ }");
}

#[test]
fn javascript_signature_ignores_whitespace_between_tokens() {
    let base = "\
function f(a, b) {
  // add them
  const s = a + b;
  /* a block
     comment */
  return s;
}
";
    let reindented = "\
function f(a, b) {
    // add them
    const s = a + b;
    /* a block
       comment */
    return s;
}
";
    let spaced = "\
function f( a,b ){
  // add them   
  const   s=a+b;
  /* a block
     comment */


  return s;}
";
    let sig = |source: &str| signature("javascript", source, "f");
    assert_eq!(sig(base), sig(reindented));
    assert_eq!(sig(base), sig(spaced));
    let changed = [
        base.replace("add them", "sum them"),
        base.replace("a + b", "a - b"),
        base.replace("return s;", "return s"),
        base.replace("// add them\n", ""),
    ];
    for other in changed {
        assert_ne!(sig(base), sig(&other), "{other}");
    }
    let string = "function g() { return 'a b' + `x ${ y }`; }";
    let sig = |source: &str| signature("javascript", source, "g");
    assert_ne!(sig(string), sig(&string.replace("'a b'", "'a  b'")));
    assert_ne!(sig(string), sig(&string.replace("`x ", "`x  ")));
    assert_eq!(sig(string), sig(&string.replace("${ y }", "${y}")));
}

#[test]
fn python_signature_sees_blocks_strings_and_comments() {
    let base = r#"def f(x):
    if x:
        a(1, 2)
    b()  # then b
    return "a b\n c"
"#;
    let sig = |source: &str| signature("python", source, "f");
    let same = [
        base.replace("f(x)", "f( x )").replace("a(1, 2)", "a(1,\n          2)"),
        base.replace("# then b", "# then b   "),
        base.replace("\n    ", "\n  "),
    ];
    for other in same {
        assert_eq!(sig(base), sig(&other), "{other}");
    }
    let different = [
        // b() moves into the if block: the same tokens, another structure.
        base.replace("\n    b()", "\n        b()"),
        base.replace("then b", "then c"),
        base.replace("  # then b", ""),
        base.replace("a b", "a  b"),
        // The text between escapes is hidden from the tree, and still counts.
        base.replace(r"\n c", r"\n  c"),
    ];
    for other in different {
        assert_ne!(sig(base), sig(&other), "{other}");
    }
    let joined = "def g():\n    return (\"one\"\n            \"two\")\n";
    let sig = |source: &str| signature("python", source, "g");
    assert_eq!(sig(joined), sig("def g():\n    return (\"one\" \"two\")\n"));
    assert_ne!(sig(joined), sig("def g():\n    return (\"one \"\n            \"two\")\n"));
}

/// Every unit of `source` as `kind qualified signature`, in order.
fn signed(language: &str, source: &str) -> Vec<String> {
    units(language, source)
        .iter()
        .map(|unit| format!("{} {} {:x}", unit.kind, unit.qualified, unit.signature))
        .collect()
}

#[test]
fn line_endings_are_whitespace_in_every_real_file() {
    // The project's real files of every language, with CRLF line endings and with LF: the same
    // units, names and signatures.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let mut folders =
        vec![root.join("fixtures/code"), root.join("fixtures/real"), root.join("judge/fixtures")];
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let Some(language) = crate::syntax::language_for_path(&path) else { continue };
            let lf = std::fs::read_to_string(&path).unwrap().replace("\r\n", "\n");
            let crlf = lf.replace('\n', "\r\n");
            assert_eq!(signed(language.name, &crlf), signed(language.name, &lf), "{}", path.display());
            *seen.entry(language.name).or_default() += 1;
        }
    }
    for language in ["python", "javascript", "typescript", "tsx", "go", "rust"] {
        assert!(seen.get(language).is_some_and(|&files| files > 0), "no {language} file in {seen:?}");
    }
}

#[test]
fn line_endings_are_whitespace_in_jsx_strings_comments_and_names() {
    // (language, a unit, a source) with line breaks inside JSX text between tags and around
    // words, template and raw strings, block comments, and a name. `¶` marks a line break inside
    // one of these, where a lone CR is one too; a lone CR cannot end a statement or a line comment
    // (tree-sitter's Python, Go and JavaScript scanners read no line break in it, and Go's spec
    // agrees), so there it is left `\n`.
    let cases = [
        (
            "tsx",
            "List",
            "export function List({ items }: Props) {\n  return (\n    <ul className=\"list\">¶      {items.map((item) => (\n        <li key={item.id}>¶          {item.label}  ¶        </li>\n      ))}¶      <p>¶        Nothing more to¶        show.¶      </p>¶    </ul>\n  );\n}\n",
        ),
        ("javascript", "f", "function f() {\n  /* a¶     b */\n  return `a¶${b}¶c` + <b>¶  x¶</b>;\n}\n"),
        ("javascript", "a.\nb", "a.\nb = function () {\n  return 1;\n};\n"),
        ("python", "f", "def f():\n    '''doc¶    more¶    '''\n    return f'''a¶{y}¶b'''\n"),
        ("go", "F", "package p\n\nfunc F() string {\n\t/* a¶\t b */\n\treturn `a¶b`\n}\n"),
        ("rust", "f", "fn f() -> &'static str {\n    /* a¶     b */\n    let _ = \"a¶b\";\n    r#\"x¶y\"#\n}\n"),
    ];
    for (language, name, marked) in cases {
        let lf = marked.replace('¶', "\n");
        let base = signed(language, &lf);
        assert!(base.iter().any(|unit| unit.split(' ').nth(1) == Some(name)), "{name} in {base:?}");
        assert_eq!(signed(language, &lf.replace('\n', "\r\n")), base, "CRLF: {lf}");
        let lone = marked.replace('¶', "\r");
        assert_eq!(signed(language, &lone), base, "lone CR: {lone:?}");
        let mixed = marked.replace('\n', "\r\n").replace('¶', "\r");
        assert_eq!(signed(language, &mixed), base, "CRLF and lone CR: {mixed:?}");
    }
    // What is not whitespace still counts, with either line ending.
    for (language, source, changed) in [
        (
            "tsx",
            "function f() {\r\n  return <b>x</b>;\r\n}\r\n",
            "function f() {\r\n  return <b>x </b>;\r\n}\r\n",
        ),
        (
            "tsx",
            "function f() {\r\n  return <p><b>a</b> <i>b</i></p>;\r\n}\r\n",
            "function f() {\r\n  return <p><b>a</b><i>b</i></p>;\r\n}\r\n",
        ),
        (
            "javascript",
            "function f(s) {\r\n  return s.split(/ /);\r\n}\r\n",
            "function f(s) {\r\n  return s.split(/  /);\r\n}\r\n",
        ),
        ("python", "def f():\r\n    return '''a\r\nb'''\r\n", "def f():\r\n    return '''a\r\n\r\nb'''\r\n"),
        (
            "go",
            "package p\r\n\r\nfunc F() string {\r\n\treturn `a\r\nb`\r\n}\r\n",
            "package p\r\n\r\nfunc F() string {\r\n\treturn `a\r\n b`\r\n}\r\n",
        ),
    ] {
        let unit = if language == "go" { "F" } else { "f" };
        assert_ne!(signature(language, source, unit), signature(language, changed, unit), "{changed:?}");
    }
}

#[test]
fn a_nested_unit_is_not_part_of_its_parents_signature() {
    let base = "class A:\n    def m(self):\n        return 1\n";
    let sig = |source: &str| signature("python", source, "A");
    assert_eq!(sig(base), sig(&base.replace("return 1", "return 2")));
    assert_eq!(sig(base), sig(&format!("{base}    def n(self):\n        return 1\n")));
    assert_ne!(sig(base), sig(&format!("{base}    n = 1\n")));
}

#[test]
fn broken_code_keeps_the_units_the_parser_can_see() {
    // An unclosed parenthesis in one function, as while typing a call.
    let python_source = "\
def good_one():
    return 1

def broken(a):
    x = foo(1, 2
    return x

def good_two():
    return 2
";
    assert_eq!(
        outline(&python(python_source)),
        ["function good_one", "function broken", "function good_two"]
    );
    let js_source = "\
function goodOne() { return 1; }
function broken(a) {
  const x = foo(1, 2;
  return x;
}
class Good {
  m() { return 2; }
}
function alsoBroken(a { return 3; }
function goodTwo() {}
";
    assert_eq!(
        outline(&javascript(js_source)),
        [
            "function goodOne",
            "function broken",
            "class Good",
            "method Good.m",
            "function alsoBroken",
            "function goodTwo"
        ]
    );
    // Where the parser gives up on a whole stretch, what it still recognises is kept, and the
    // text it could not read stays in the enclosing unit's own text.
    let swallowed = python_source.replace("broken(a)", "broken(a");
    let units = python(&swallowed);
    assert_eq!(outline(&units), ["function good_one"]);
    assert!(own_text(&units, &units[0]).contains("def good_two():"));
    // Half-typed definitions: a missing name, body or colon.
    for source in [
        "def (x):\n    pass\n",
        "def f(\n",
        "class :\n",
        "class A:\n    def\n",
        "@decorator\n",
        "async def f(",
    ] {
        python(source);
    }
    for source in
        ["function (a) {}", "class { m() {} }", "const f = ", "x.y = function", "({ a() {", "class A { #x"]
    {
        javascript(source);
    }
}

#[test]
fn any_prefix_of_real_code_extracts_without_panicking() {
    for (language, file) in [("python", "ftplib.py"), ("javascript", "express_response.js")] {
        let text = fixture(file);
        let language = language_named(language).unwrap();
        let mut end = 0;
        while end < text.len() {
            let rope = Rope::from_str(&text[..end]);
            let units = extract(language, &parse(language, &rope), &rope);
            assert_eq!(units[0].text.len(), end);
            end = (end + 997..text.len()).find(|&at| text.is_char_boundary(at)).unwrap_or(text.len());
        }
    }
}

#[test]
fn a_tree_of_other_text_does_not_panic() {
    let language = language_named("python").unwrap();
    let long = Rope::from_str(PYTHON);
    let tree = parse(language, &long);
    for short in ["", "x", "déf é():\n  pass\n", &PYTHON[..PYTHON.len() / 2]] {
        let rope = Rope::from_str(short);
        let units = extract(language, &tree, &rope);
        assert_eq!(units[0].text.to_string().as_str(), short);
    }
}
pub(super) fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/code").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn fixture_units(language: &str, name: &str) -> Vec<Unit> {
    units(language, &fixture(name))
}

fn has(units: &[Unit], kind: UnitKind, qualified: &str) -> bool {
    units.iter().any(|unit| unit.kind == kind && unit.qualified == qualified)
}

#[test]
fn real_python_files() {
    let units = fixture_units("python", "pandas_frame.py");
    for (kind, qualified) in [
        (UnitKind::Class, "DataFrame"),
        (UnitKind::Method, "DataFrame.__init__"),
        (UnitKind::Method, "DataFrame.to_dict"),
        (UnitKind::Method, "DataFrame.style"),
        (UnitKind::Function, "DataFrame.from_dict.create_index"),
        (UnitKind::Function, "_from_nested_dict"),
    ] {
        assert!(has(&units, kind, qualified), "{kind} {qualified}");
    }
    // The overloads of to_dict are units of the same name.
    assert!(units.iter().filter(|unit| unit.qualified == "DataFrame.to_dict").count() >= 2);
    let units = fixture_units("python", "ftplib.py");
    for (kind, qualified) in [
        (UnitKind::Class, "FTP"),
        (UnitKind::Method, "FTP.__init__"),
        (UnitKind::Method, "FTP.retrlines"),
        (UnitKind::Class, "FTP_TLS"),
        (UnitKind::Function, "test"),
    ] {
        assert!(has(&units, kind, qualified), "{kind} {qualified}");
    }
}

#[test]
fn real_javascript_files() {
    let units = fixture_units("javascript", "jquery.js");
    for (kind, qualified) in [
        (UnitKind::Function, "jQuery"),
        (UnitKind::Function, "jQuery.fn.extend"),
        (UnitKind::Function, "jQuery.fn.init"),
        (UnitKind::Function, "jQuery.Callbacks"),
        (UnitKind::Function, "jQuery.Callbacks.fire"),
        (UnitKind::Function, "isArrayLike"),
    ] {
        assert!(has(&units, kind, qualified), "{kind} {qualified}");
    }
    let units = fixture_units("javascript", "express_response.js");
    for (kind, qualified) in [
        (UnitKind::Function, "res.send"),
        (UnitKind::Function, "res.redirect"),
        (UnitKind::Function, "res.redirect.html"),
        (UnitKind::Function, "sendfile.onfinish"),
        (UnitKind::Function, "stringify"),
    ] {
        assert!(has(&units, kind, qualified), "{kind} {qualified}");
    }
}
