; Swift tags. Based on tree-sitter-swift 0.7.4 queries/tags.scm (MIT), changed so that a
; method's or property's definition node is the method or property itself (upstream
; captured the whole enclosing class for each); extended: enums, structs and actors told
; apart, protocol methods, initialisers, type aliases, calls, inheritance, extensions and
; user types as references.
; Where two patterns match the same node, the first one in this file wins.

(class_declaration
  declaration_kind: "enum"
  name: (type_identifier) @name) @definition.enum

(class_declaration
  name: (type_identifier) @name) @definition.class

(protocol_declaration
  name: (type_identifier) @name) @definition.interface

(class_body
  [
    (function_declaration
      name: (simple_identifier) @name)
    (subscript_declaration
      (parameter (simple_identifier) @name))
    (init_declaration "init" @name)
    (deinit_declaration "deinit" @name)
  ] @definition.method)

(enum_class_body
  [
    (function_declaration
      name: (simple_identifier) @name)
    (init_declaration "init" @name)
  ] @definition.method)

(protocol_body
  [
    (protocol_function_declaration
      name: (simple_identifier) @name)
    (subscript_declaration
      (parameter (simple_identifier) @name))
    (init_declaration "init" @name)
  ] @definition.method)

(class_body
  (property_declaration
    (pattern (simple_identifier) @name)) @definition.property)

(protocol_body
  (protocol_property_declaration
    (pattern (simple_identifier) @name)) @definition.property)

(property_declaration
  (pattern (simple_identifier) @name)) @definition.property

(function_declaration
  name: (simple_identifier) @name) @definition.function

(typealias_declaration
  name: (type_identifier) @name) @definition.type

; references

(call_expression
  .
  [
    (simple_identifier) @name
    (navigation_expression
      suffix: (navigation_suffix suffix: (simple_identifier) @name))
  ]) @reference.call

(class_declaration
  declaration_kind: "extension"
  name: (user_type (type_identifier) @name)) @reference.implementation

(inheritance_specifier
  inherits_from: (user_type (type_identifier) @name)) @reference.class

(user_type (type_identifier) @name) @reference.type
