; Rust scopes: blocks that hold definitions without defining a name of their own, read by
; `packer.symbols.scopes` only (chunks name them: `impl Display for Parser > fn fmt`),
; never by `extract`: they are not symbols, so the reference graph and skeletons do not
; see them. An `impl` is labelled by its keyword and its `@name`s: the text from the first
; to the last, on one line (`impl Display for Parser<T>`, `impl Parser<T>`); the generic
; parameters after `impl` and the `where` clause are left out.

(impl_item
    trait: (_) @name
    type: (_) @name) @definition.impl

(impl_item
    !trait
    type: (_) @name) @definition.impl
