; Rust tags. Based on tree-sitter-rust 0.24.2 queries/tags.scm (MIT), extended: trait
; method signatures, constants and statics, enums as `enum`, scoped calls, struct
; literals and every type name as references.
; Where two patterns match the same node, the first one in this file wins.

; ADT definitions

(struct_item
    name: (type_identifier) @name) @definition.class

(enum_item
    name: (type_identifier) @name) @definition.enum

(union_item
    name: (type_identifier) @name) @definition.class

; type aliases

(type_item
    name: (type_identifier) @name) @definition.type

; method definitions

(declaration_list
    (function_item
        name: (identifier) @name) @definition.method)

(declaration_list
    (function_signature_item
        name: (identifier) @name) @definition.method)

; function definitions

(function_item
    name: (identifier) @name) @definition.function

(function_signature_item
    name: (identifier) @name) @definition.function

; trait definitions
(trait_item
    name: (type_identifier) @name) @definition.interface

; module definitions
(mod_item
    name: (identifier) @name) @definition.module

; macro definitions

(macro_definition
    name: (identifier) @name) @definition.macro

; constants

(const_item
    name: (identifier) @name) @definition.constant

(static_item
    name: (identifier) @name) @definition.constant

; references

(call_expression
    function: (identifier) @name) @reference.call

(call_expression
    function: (field_expression
        field: (field_identifier) @name)) @reference.call

(call_expression
    function: (scoped_identifier
        name: (identifier) @name)) @reference.call

(call_expression
    function: (generic_function
        function: [
          (identifier) @name
          (field_expression field: (field_identifier) @name)
          (scoped_identifier name: (identifier) @name)
        ])) @reference.call

(macro_invocation
    macro: [
      (identifier) @name
      (scoped_identifier name: (identifier) @name)
    ]) @reference.call

; implementations

(impl_item
    trait: [
      (type_identifier) @name
      (scoped_type_identifier name: (type_identifier) @name)
      (generic_type type: (type_identifier) @name)
    ]) @reference.implementation

(impl_item
    type: [
      (type_identifier) @name
      (generic_type type: (type_identifier) @name)
    ]
    !trait) @reference.implementation

(struct_expression
    name: [
      (type_identifier) @name
      (scoped_type_identifier name: (type_identifier) @name)
    ]) @reference.class

(type_identifier) @name @reference.type
