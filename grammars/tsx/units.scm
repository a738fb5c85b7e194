; inherits: typescript
; Units of TSX (TypeScript with JSX): TypeScript's units
; (grammars/typescript/units.scm, whose notes apply here too), written in above
; this line when the query is loaded. The two grammars differ in JSX alone,
; which holds no unit of its own: a function in a JSX attribute is a callback.
