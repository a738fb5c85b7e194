//! The independent judge's view of a Rust file: its units and each unit's own-token signature.
//!
//! Usage: rust_units [--tokens] FILE...  ->  one JSON object on stdout,
//! {FILE: {"units": [...]}} or {FILE: {"error": "..."}} for a file syn cannot parse.
//!
//! Written from the product's rules (README "Units and prompts", grammars/rust/units.scm's notes),
//! not from the server's code; the parser is syn, not tree-sitter. Units:
//! - functions (`function`); functions in an impl or a trait, with a body or not (`method`);
//!   functions declared in an `extern` block (`function`);
//! - structs, enums, traits (`struct`, `enum`, `trait`); modules with a body (`mod`);
//!   `macro_rules!` definitions (`macro`);
//! - impls (`impl`), named by their type without its generic arguments (`Stack`), or for a trait
//!   impl `<Type as Trait>` with the trait as written (`<Id as From<u32>>`).
//! Names join with `::`: `Cart::total`, `<Cart as fmt::Display>::fmt`, `tests::helper`. A unit
//! starts after its outer attributes and doc comments (they are the enclosing unit's) and ends
//! with its last token. Own tokens: every token's exact text, every comment's lines trimmed
//! (comments are read from the text between tokens: syn does not keep them), whitespace not at
//! all; a unit's own tokens are those inside it and in no nested unit.

use std::hash::{Hash, Hasher};
use std::str::FromStr;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;

struct Lines {
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl Lines {
    fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        Lines { starts }
    }

    fn offset(&self, source: &str, line: usize, column: usize) -> usize {
        let start = self.starts.get(line.saturating_sub(1)).copied().unwrap_or(source.len());
        let text = &source[start..];
        start + text.char_indices().nth(column).map_or(text.len(), |(at, _)| at)
    }

    fn range(&self, source: &str, span: Span) -> (usize, usize) {
        let (start, end) = (span.start(), span.end());
        (self.offset(source, start.line, start.column), self.offset(source, end.line, end.column))
    }
}

struct Found {
    name: String,
    kind: &'static str,
    start: usize,
    end: usize,
}

struct Collector<'a> {
    source: &'a str,
    lines: &'a Lines,
    found: Vec<Found>,
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Collector<'_> {
    fn text(&self, span: Span) -> String {
        let (start, end) = self.lines.range(self.source, span);
        collapse(&self.source[start..end])
    }

    /// Records a unit spanning `without_attrs` (the item with its attributes cleared).
    fn add(&mut self, name: String, kind: &'static str, without_attrs: Span) {
        let (start, end) = self.lines.range(self.source, without_attrs);
        self.found.push(Found { name, kind, start, end });
    }

    fn impl_name(&self, item: &syn::ItemImpl) -> String {
        let ty = match &*item.self_ty {
            syn::Type::Path(path) if path.qself.is_none() => {
                let last = path.path.segments.last();
                match last.map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(args)) => {
                        let (start, _) = self.lines.range(self.source, path.span());
                        let (cut, _) = self.lines.range(self.source, args.lt_token.span);
                        collapse(&self.source[start..cut])
                    }
                    _ => self.text(path.span()),
                }
            }
            other => self.text(other.span()),
        };
        match &item.trait_ {
            Some((_, path, _)) => format!("<{ty} as {}>", self.text(path.span())),
            None => ty,
        }
    }
}

fn stripped<T: Clone + Spanned>(item: &T, clear: impl Fn(&mut T)) -> Span {
    let mut copy = item.clone();
    clear(&mut copy);
    copy.span()
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.add(item.sig.ident.to_string(), "function", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_item_fn(self, item);
    }
    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.add(item.sig.ident.to_string(), "method", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_impl_item_fn(self, item);
    }
    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        self.add(item.sig.ident.to_string(), "method", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_trait_item_fn(self, item);
    }
    fn visit_foreign_item_fn(&mut self, item: &'ast syn::ForeignItemFn) {
        self.add(item.sig.ident.to_string(), "function", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_foreign_item_fn(self, item);
    }
    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        self.add(item.ident.to_string(), "struct", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_item_struct(self, item);
    }
    fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
        self.add(item.ident.to_string(), "enum", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_item_enum(self, item);
    }
    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.add(item.ident.to_string(), "trait", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_item_trait(self, item);
    }
    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let name = self.impl_name(item);
        self.add(name, "impl", stripped(item, |i| i.attrs.clear()));
        syn::visit::visit_item_impl(self, item);
    }
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.add(item.ident.to_string(), "mod", stripped(item, |i| i.attrs.clear()));
        }
        syn::visit::visit_item_mod(self, item);
    }
    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if let Some(ident) = &item.ident {
            if item.mac.path.is_ident("macro_rules") {
                self.add(ident.to_string(), "macro", stripped(item, |i| i.attrs.clear()));
            }
        }
        syn::visit::visit_item_macro(self, item);
    }
}

struct Unit {
    name: String,
    kind: &'static str,
    start: usize,
    end: usize,
    kids: Vec<usize>,
    own: Vec<String>,
}

fn tokens(stream: TokenStream, out: &mut Vec<Span>) {
    for tree in stream {
        match tree {
            TokenTree::Group(group) => {
                out.push(group.span_open());
                tokens(group.stream(), out);
                out.push(group.span_close());
            }
            other => out.push(other.span()),
        }
    }
}

fn analyse(source: &str) -> Result<Vec<Unit>, String> {
    let file = syn::parse_file(source).map_err(|err| err.to_string())?;
    let lines = Lines::new(source);
    let mut collector = Collector { source, lines: &lines, found: Vec::new() };
    collector.visit_file(&file);
    let mut found = collector.found;
    found.sort_by_key(|f| f.start);
    let mut units = vec![Unit { name: "<module>".into(), kind: "module", start: 0, end: source.len(), kids: vec![], own: vec![] }];
    let mut stack = vec![0];
    for f in found {
        while stack.len() > 1 && units[*stack.last().unwrap()].end <= f.start {
            stack.pop();
        }
        let parent = *stack.last().unwrap();
        let name = if parent == 0 { f.name } else { format!("{}::{}", units[parent].name, f.name) };
        units.push(Unit { name, kind: f.kind, start: f.start, end: f.end, kids: vec![], own: vec![] });
        let index = units.len() - 1;
        units[parent].kids.push(index);
        stack.push(index);
    }
    // Tokens as the lexer sees them (a shebang line is no token), comments from the gaps.
    let body_start = if source.starts_with("#!") && !source.starts_with("#![") {
        source.find('\n').unwrap_or(source.len())
    } else {
        0
    };
    let stream = TokenStream::from_str(&source[body_start..]).map_err(|err| err.to_string())?;
    let mut spans = Vec::new();
    tokens(stream, &mut spans);
    let mut items: Vec<(usize, String)> = Vec::new();
    let mut at = 0;
    let gap = |items: &mut Vec<(usize, String)>, from: usize, to: usize| {
        let text = &source[from..to];
        if let Some(first) = text.find(|c: char| !c.is_whitespace()) {
            let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            items.push((from + first, format!("comment:{}", lines.join("\n"))));
        }
    };
    for span in spans {
        let (start, end) = lines.range(&source[body_start..], span);
        let (start, end) = (start + body_start, end + body_start);
        if start < at {
            continue;
        }
        gap(&mut items, at, start);
        items.push((start, source[start..end].to_owned()));
        at = end;
    }
    gap(&mut items, at, source.len());
    for (start, text) in items {
        let mut owner = 0;
        while let Some(&next) = units[owner].kids.iter().find(|&&k| units[k].start <= start && start < units[k].end) {
            owner = next;
        }
        units[owner].own.push(text);
    }
    Ok(units)
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_tokens = args.iter().any(|a| a == "--tokens");
    let mut files = Vec::new();
    for path in args.iter().filter(|a| *a != "--tokens") {
        let entry = match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|s| analyse(&s)) {
            Err(err) => format!("{{\"error\":{}}}", json_string(&err)),
            Ok(units) => {
                let units: Vec<String> = units
                    .iter()
                    .map(|u| {
                        let mut hasher = std::collections::hash_map::DefaultHasher::new();
                        u.own.hash(&mut hasher);
                        let tokens = if with_tokens {
                            format!("[{}]", u.own.iter().map(|t| json_string(t)).collect::<Vec<_>>().join(","))
                        } else {
                            u.own.len().to_string()
                        };
                        format!(
                            "{{\"name\":{},\"kind\":\"{}\",\"start\":{},\"end\":{},\"signature\":\"{:016x}\",\"tokens\":{}}}",
                            json_string(&u.name), u.kind, u.start, u.end, hasher.finish(), tokens
                        )
                    })
                    .collect();
                format!("{{\"units\":[{}]}}", units.join(","))
            }
        };
        files.push(format!("{}:{}", json_string(path), entry));
    }
    println!("{{{}}}", files.join(","));
}
