; Units of Rust: functions, methods, structs, enums, traits, impls, modules and
; macros by example.
;
; Each pattern captures the whole unit as @unit.<kind> and its name as @name.
; Start each pattern with its node, `(kind ...)`, or an alternation of nodes,
; `[(kind ...) ...]`: the extractor runs the query only at nodes of those kinds.
; The extractor's rules (server/src/units/extract.rs): the first pattern that
; captures a node wins; a unit whose node is a direct child of another unit's
; node is that unit seen twice, and only the outer one is kept.
;
; Names join with `::` (the language table's separator for Rust), so a method
; is named by its impl: `Cart::total`. An impl is named by its type, without
; the type's generic arguments (`impl<T> Stack<T>` is `Stack`); a trait impl as
; Rust writes a qualified path, `<Cart as Display>` (the trait as written, with
; its generic arguments: `<Id as From<u32>>`), so that its methods are
; `<Cart as Display>::fmt`. The pattern composes that name with
; `(#set! name "...")`, where `{capture}` stands for a capture's text.
; Attributes and doc comments are not part of a unit: tree-sitter reads them as
; the item's siblings, so they stay in the enclosing unit's own text.

; Methods: functions in an impl or a trait, with a body or not.
(impl_item
  body: (declaration_list
    (function_item name: (identifier) @name) @unit.method))

(trait_item
  body: (declaration_list
    [
      (function_item name: (identifier) @name)
      (function_signature_item name: (identifier) @name)
    ] @unit.method))

(function_item
  name: (identifier) @name) @unit.function

(function_signature_item
  name: (identifier) @name) @unit.function

(struct_item
  name: (type_identifier) @name) @unit.struct

(enum_item
  name: (type_identifier) @name) @unit.enum

(trait_item
  name: (type_identifier) @name) @unit.trait

; Trait impls, `<Type as Trait>`.
(impl_item
  trait: (_) @trait
  type: (generic_type type: (_) @name)
  (#set! name "<{name} as {trait}>")) @unit.impl

(impl_item
  trait: (_) @trait
  type: (_) @name
  (#set! name "<{name} as {trait}>")) @unit.impl

; Inherent impls, named by their type.
(impl_item
  !trait
  type: (generic_type type: (_) @name)) @unit.impl

(impl_item
  !trait
  type: (_) @name) @unit.impl

; A module with a body; `mod name;` is only a reference to a file.
(mod_item
  name: (identifier) @name
  body: (declaration_list)) @unit.mod

(macro_definition
  name: (identifier) @name) @unit.macro
