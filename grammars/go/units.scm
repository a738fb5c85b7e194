; Units of Go: functions, methods and type declarations.
;
; Each pattern captures the whole unit as @unit.<kind> and its name as @name.
; Start each pattern with its node, `(kind ...)`, or an alternation of nodes,
; `[(kind ...) ...]`: the extractor runs the query only at nodes of those kinds.
; The extractor's rules (server/src/units/extract.rs): the first pattern that
; captures a node wins; a unit whose node is a direct child of another unit's
; node is that unit seen twice, and only the outer one is kept.
;
; A method is named by its receiver's type and its own name, `Cart.Total`, as
; Go's documentation writes it: the pattern composes the name with
; `(#set! name "...")`, where `{capture}` stands for a capture's text. A
; pointer receiver (`*Cart`) and a generic one (`Stack[T]`) give the type's
; name alone. Function literals are not units: they belong to the enclosing
; function.

(function_declaration
  name: (identifier) @name) @unit.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @receiver
        (pointer_type (type_identifier) @receiver)
        (generic_type type: (type_identifier) @receiver)
        (pointer_type (generic_type type: (type_identifier) @receiver))
      ]))
  name: (field_identifier) @name
  (#set! name "{receiver}.{name}")) @unit.method

; A type declaration of one type is the whole declaration, `type` included;
; each type of a grouped declaration, `type ( ... )`, is a unit of its own.
(type_declaration
  .
  [
    (type_spec name: (type_identifier) @name type: (struct_type))
  ]
  .) @unit.struct

(type_declaration
  .
  [
    (type_spec name: (type_identifier) @name type: (interface_type))
  ]
  .) @unit.interface

(type_declaration
  .
  [
    (type_spec name: (type_identifier) @name)
    (type_alias name: (type_identifier) @name)
  ]
  .) @unit.type

(type_spec
  name: (type_identifier) @name
  type: (struct_type)) @unit.struct

(type_spec
  name: (type_identifier) @name
  type: (interface_type)) @unit.interface

[
  (type_spec name: (type_identifier) @name)
  (type_alias name: (type_identifier) @name)
] @unit.type
