; inherits: typescript
; Comments of TSX: TypeScript's (grammars/typescript/comments.scm), written in
; above this line when the query is loaded.
