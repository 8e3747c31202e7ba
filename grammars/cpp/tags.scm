; C++ tags. Based on tree-sitter-cpp 0.23.4 queries/tags.scm (MIT), changed so that a
; function's definition node is the whole function_definition (body included), not its
; declarator; extended: methods inside class bodies and their declarations, namespaces,
; unions, enums as `enum`, `using` aliases, macros, calls and type names as references.
; Where two patterns match the same node, the first one in this file wins.

(struct_specifier name: (type_identifier) @name body:(_)) @definition.class

(union_specifier name: (type_identifier) @name body:(_)) @definition.class

(declaration type: (union_specifier name: (type_identifier) @name)) @definition.class

(class_specifier name: (type_identifier) @name body:(_)) @definition.class

(enum_specifier name: (type_identifier) @name body:(_)) @definition.enum

(namespace_definition name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.module

; methods defined or declared inside a class body

(field_declaration_list
  [
    (function_definition
      declarator: [
        (function_declarator declarator: [(field_identifier) (identifier) (destructor_name) (operator_name)] @name)
        (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (identifier)] @name))
        (reference_declarator (function_declarator declarator: [(field_identifier) (identifier)] @name))
      ])
    (template_declaration
      (function_definition
        declarator: (function_declarator declarator: [(field_identifier) (identifier)] @name)))
    (field_declaration
      declarator: (function_declarator declarator: [(field_identifier) (identifier) (destructor_name) (operator_name)] @name))
    (declaration
      declarator: (function_declarator declarator: [(field_identifier) (identifier) (destructor_name)] @name))
  ] @definition.method)

; methods defined outside their class: `Matrix::at(...)`

(function_definition
  declarator: [
    (function_declarator declarator: (qualified_identifier name: (_) @name))
    (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: (_) @name)))
    (reference_declarator (function_declarator declarator: (qualified_identifier name: (_) @name)))
  ]) @definition.method

; functions

(function_definition
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (reference_declarator (function_declarator declarator: (identifier) @name))
  ]) @definition.function

; prototypes at file level (not `T x(a);` inside a function body)

(translation_unit
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(preproc_if
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(preproc_ifdef
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(preproc_else
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(preproc_elif
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(preproc_elifdef
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(declaration_list
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator
        declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(type_definition declarator: (type_identifier) @name) @definition.type

(alias_declaration name: (type_identifier) @name) @definition.type

(preproc_def name: (identifier) @name) @definition.constant

(preproc_function_def name: (identifier) @name) @definition.macro

; references

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (qualified_identifier name: (identifier) @name)
    (template_function name: (identifier) @name)
    (qualified_identifier name: (template_function name: (identifier) @name))
  ]) @reference.call

(new_expression type: (type_identifier) @name) @reference.class

(base_class_clause
  [
    (type_identifier) @name
    (qualified_identifier name: (type_identifier) @name)
    (template_type name: (type_identifier) @name)
  ]) @reference.class

(type_identifier) @name @reference.type
