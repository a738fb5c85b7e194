; Units of Python: functions and classes, each with its decorators.
;
; Each pattern captures the whole unit as @unit.<kind> and its name as @name.
; Start each pattern with its node, `(kind ...)`, or an alternation of nodes,
; `[(kind ...) ...]`: the extractor runs the query only at nodes of those kinds
; (a pattern that starts otherwise works, at the cost of a query over the whole
; tree on every reparse).
; Two rules are applied by the extractor (server/src/units/extract.rs), because
; a query cannot say "not inside":
; - when several patterns capture the same node, the first pattern in this file
;   wins, so the specific patterns (methods) come before the general ones;
; - a unit whose node is a direct child of another unit's node is the same unit
;   seen twice (the function inside its `decorated_definition`), and only the
;   outer one is kept, so a decorated function is one unit, with its decorators.

; Methods: a function directly in a class body.
(class_definition
  body: (block
    (decorated_definition
      definition: (function_definition
        name: (identifier) @name)) @unit.method))

(class_definition
  body: (block
    (function_definition
      name: (identifier) @name) @unit.method))

; Decorated functions and classes: the unit includes its decorators.
(decorated_definition
  definition: (function_definition
    name: (identifier) @name)) @unit.function

(decorated_definition
  definition: (class_definition
    name: (identifier) @name)) @unit.class

; Everything else.
(function_definition
  name: (identifier) @name) @unit.function

(class_definition
  name: (identifier) @name) @unit.class
