; Units of TypeScript: JavaScript's units (grammars/javascript/units.scm, whose
; notes apply here too), and interfaces, type aliases, enums, namespaces,
; abstract classes, overload signatures and abstract methods.
;
; Each pattern captures the whole unit as @unit.<kind> and its name as @name.
; Start each pattern with its node, `(kind ...)`, or an alternation of nodes,
; `[(kind ...) ...]`: the extractor runs the query only at nodes of those kinds.
; The extractor's rules (server/src/units/extract.rs): the first pattern that
; captures a node wins; a unit whose node is a direct child of another unit's
; node is that unit seen twice, and only the outer one is kept; a name captured
; on a string node loses its quotes.
;
; As in JavaScript, `export`, `export default` and `declare` are not part of a
; unit: they stay in the enclosing unit's own text. A class's decorators are
; its own: written after `export` they are inside the class's node; written
; before it (`@Component(...) export class A {}`), the unit is the whole export
; statement, so that they are the class's all the same.
;
; grammars/tsx/units.scm inherits this file: what is written here holds for TSX
; too, and a pattern added here must compile against both grammars.

; Decorators written before `export`.
(export_statement
  decorator: (decorator)
  declaration: [
    (class_declaration name: (type_identifier) @name)
    (abstract_class_declaration name: (type_identifier) @name)
  ]) @unit.class

; Declarations.
(function_declaration
  name: (identifier) @name) @unit.function

(generator_function_declaration
  name: (identifier) @name) @unit.function

; An overload signature, or a function `declare`d without a body.
(function_signature
  name: (identifier) @name) @unit.function

(class_declaration
  name: (type_identifier) @name) @unit.class

(abstract_class_declaration
  name: (type_identifier) @name) @unit.class

(interface_declaration
  name: (type_identifier) @name) @unit.interface

(type_alias_declaration
  name: (type_identifier) @name) @unit.type

(enum_declaration
  name: (identifier) @name) @unit.enum

; `namespace A.B {}` is named `A.B`; `declare module "x" {}` is named `x`.
(internal_module
  name: [(identifier) (nested_identifier) (string)] @name) @unit.namespace

(module
  name: [(identifier) (nested_identifier) (string)] @name) @unit.namespace

; Methods in object literals (`{ parse(x) {} }`) are functions.
(object
  (method_definition
    name: [
      (property_identifier) @name
      (private_property_identifier) @name
      (string) @name
      (number) @name
      (computed_property_name (_) @name)
    ]) @unit.function)

; Every other method definition is in a class body. Overload signatures and
; abstract methods in a class body are methods too; the signatures of an
; interface's members are not units: they belong to the interface.
(method_definition
  name: [
    (property_identifier) @name
    (private_property_identifier) @name
    (string) @name
    (number) @name
    (computed_property_name (_) @name)
  ]) @unit.method

(class_body
  [
    (method_signature
      name: [
        (property_identifier) @name
        (private_property_identifier) @name
        (string) @name
        (number) @name
        (computed_property_name (_) @name)
      ])
    (abstract_method_signature
      name: [
        (property_identifier) @name
        (private_property_identifier) @name
        (string) @name
        (number) @name
        (computed_property_name (_) @name)
      ])
  ] @unit.method)

; Class fields holding a function (`onClick = () => {}`) are methods too.
(public_field_definition
  name: [
    (property_identifier) @name
    (private_property_identifier) @name
    (string) @name
    (number) @name
    (computed_property_name (_) @name)
  ]
  value: [(function_expression) (arrow_function) (generator_function)]) @unit.method

; Object properties holding a function.
(pair
  key: [
    (property_identifier) @name
    (private_property_identifier) @name
    (string) @name
    (number) @name
    (computed_property_name (_) @name)
  ]
  value: [(function_expression) (arrow_function) (generator_function)]) @unit.function

; Variables holding a function or a class, named by the variable.
(variable_declarator
  name: (identifier) @name
  value: [(function_expression) (arrow_function) (generator_function)]) @unit.function

(variable_declarator
  name: (identifier) @name
  value: (class)) @unit.class

; Assignments of a function or a class, named by the left side as written.
(assignment_expression
  left: [(identifier) (member_expression) (subscript_expression)] @name
  right: [(function_expression) (arrow_function) (generator_function)]) @unit.function

(assignment_expression
  left: [(identifier) (member_expression) (subscript_expression)] @name
  right: (class)) @unit.class

; Named class expressions not covered above (`register(class Widget {})`).
(class
  name: (type_identifier) @name) @unit.class
