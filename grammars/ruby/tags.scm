; Ruby tags. Based on tree-sitter-ruby 0.23.1 queries/tags.scm (MIT), changed: a `def` at
; the top level is a function; constants assigned are definitions; constants used are
; class references. Upstream's catch-all pattern that made every identifier a call
; reference relies on `#is-not? local`, which py-tree-sitter does not evaluate, so it is
; replaced by the constant one.
; Where two patterns match the same node, the first one in this file wins.

; Function definitions (top level)

(program
  (method
    name: (_) @name) @definition.function)

; Method definitions

(
  (comment)* @doc
  .
  [
    (method
      name: (_) @name) @definition.method
    (singleton_method
      name: (_) @name) @definition.method
  ]
  (#strip! @doc "^#\\s*")
  (#select-adjacent! @doc @definition.method)
)

(alias
  name: (_) @name) @definition.method

(setter
  (identifier) @ignore)

; Class definitions

(
  (comment)* @doc
  .
  [
    (class
      name: [
        (constant) @name
        (scope_resolution
          name: (_) @name)
      ]) @definition.class
    (singleton_class
      value: [
        (constant) @name
        (scope_resolution
          name: (_) @name)
      ]) @definition.class
  ]
  (#strip! @doc "^#\\s*")
  (#select-adjacent! @doc @definition.class)
)

; Module definitions

(
  (module
    name: [
      (constant) @name
      (scope_resolution
        name: (_) @name)
    ]) @definition.module
)

; Constants

(assignment
  left: (constant) @name) @definition.constant

; Calls

(call method: (identifier) @name) @reference.call

(constant) @name @reference.class
