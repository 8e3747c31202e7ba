; Go tags. Based on tree-sitter-go 0.25.0 queries/tags.scm (MIT), extended: interface
; methods, interfaces / structs / other types told apart, constants, package variables
; and the package clause as definitions. (Upstream patterns that captured only @name, with
; no definition or reference, are dropped.)
; Where two patterns match the same node, the first one in this file wins.

(
  (comment)* @doc
  .
  (function_declaration
    name: (identifier) @name) @definition.function
  (#strip! @doc "^//\\s*")
  (#set-adjacent! @doc @definition.function)
)

(
  (comment)* @doc
  .
  (method_declaration
    name: (field_identifier) @name) @definition.method
  (#strip! @doc "^//\\s*")
  (#set-adjacent! @doc @definition.method)
)

(method_elem
  name: (field_identifier) @name) @definition.method

(type_spec
  name: (type_identifier) @name
  type: (interface_type)) @definition.interface

(type_spec
  name: (type_identifier) @name
  type: (struct_type)) @definition.class

(type_spec
  name: (type_identifier) @name) @definition.type

(type_alias
  name: (type_identifier) @name) @definition.type

(const_spec
  name: (identifier) @name) @definition.constant

(source_file
  (var_declaration
    [
      (var_spec name: (identifier) @name) @definition.variable
      (var_spec_list (var_spec name: (identifier) @name) @definition.variable)
    ]))

(package_clause
  (package_identifier) @name) @definition.module

(call_expression
  function: [
    (identifier) @name
    (parenthesized_expression (identifier) @name)
    (selector_expression field: (field_identifier) @name)
    (parenthesized_expression (selector_expression field: (field_identifier) @name))
  ]) @reference.call

(type_identifier) @name @reference.type
