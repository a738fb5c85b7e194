; Comments of TSX, line (`//`) and block (`/* */`), for why-comments
; (server/src/units/why.rs): a comment whose text starts with the why marker
; explains a change to Rationale.
(comment) @comment
