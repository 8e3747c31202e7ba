; PHP imports: `use A\B\C;` (module A\B, name C), `use A\{B, C\D}`, `use function A\f;`,
; and the file of `require`, `require_once`, `include`, `include_once`.

(namespace_use_declaration
  (namespace_use_clause
    (qualified_name
      prefix: (namespace_name) @import.module
      (name) @import.name))) @import

(namespace_use_declaration
  (namespace_use_clause
    .
    (name) @import.module)) @import

(namespace_use_declaration
  (namespace_name) @import.module
  body: (namespace_use_group
    (namespace_use_clause
      .
      [(name) (qualified_name)] @import.name))) @import

(require_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module)
    (binary_expression right: [
      (string (string_content) @import.module)
      (encapsed_string (string_content) @import.module)
    ])
  ]) @import

(require_once_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module)
    (binary_expression right: [
      (string (string_content) @import.module)
      (encapsed_string (string_content) @import.module)
    ])
  ]) @import

(include_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module)
    (binary_expression right: [
      (string (string_content) @import.module)
      (encapsed_string (string_content) @import.module)
    ])
  ]) @import

(include_once_expression
  [
    (string (string_content) @import.module)
    (encapsed_string (string_content) @import.module)
    (binary_expression right: [
      (string (string_content) @import.module)
      (encapsed_string (string_content) @import.module)
    ])
  ]) @import
