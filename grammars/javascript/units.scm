; Units of JavaScript.
;
; Each pattern captures the whole unit as @unit.<kind> and its name as @name.
; Start each pattern with its node, `(kind ...)`, or an alternation of nodes,
; `[(kind ...) ...]`: the extractor runs the query only at nodes of those kinds
; (a pattern that starts otherwise works, at the cost of a query over the whole
; tree on every reparse).
; Three rules are applied by the extractor (server/src/units/extract.rs), because
; a query cannot say them:
; - when several patterns capture the same node, the first pattern in this file
;   wins, so specific patterns come before general ones;
; - a unit whose node is a direct child of another unit's node is the same unit
;   seen twice (`const A = class A {}`), and only the outer one is kept;
; - a name captured on a string node loses its quotes (`'x': function () {}`
;   is named `x`).
; A computed key is named by the expression between its brackets, captured
; below. Anonymous functions (callbacks passed as arguments) match no pattern:
; their changes belong to the enclosing unit.

; Declarations.
(function_declaration
  name: (identifier) @name) @unit.function

(generator_function_declaration
  name: (identifier) @name) @unit.function

(class_declaration
  name: (identifier) @name) @unit.class

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

; Every other method definition is in a class body (or in a class the parser
; could not finish reading): getters, setters, static and private methods.
(method_definition
  name: [
    (property_identifier) @name
    (private_property_identifier) @name
    (string) @name
    (number) @name
    (computed_property_name (_) @name)
  ]) @unit.method

; Class fields holding a function (`onClick = () => {}`) are methods too.
(field_definition
  property: [
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

; Assignments of a function or a class, named by the left side as written
; (`Router.prototype.handle`, `module.exports.parse`).
(assignment_expression
  left: [(identifier) (member_expression) (subscript_expression)] @name
  right: [(function_expression) (arrow_function) (generator_function)]) @unit.function

(assignment_expression
  left: [(identifier) (member_expression) (subscript_expression)] @name
  right: (class)) @unit.class

; Named class expressions not covered above (`register(class Widget {})`).
(class
  name: (identifier) @name) @unit.class
