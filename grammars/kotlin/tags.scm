; Kotlin tags. tree-sitter-kotlin (tree-sitter-grammars, 1.1.0) ships no tags query; this
; one is written for packer (MIT, as packer), with the standard tags captures: classes,
; interfaces, enums, objects, functions (methods inside class bodies), properties,
; constants, type aliases and the package; calls, supertypes and user types as references.
; Where two patterns match the same node, the first one in this file wins.

(class_declaration
  "interface"
  name: (identifier) @name) @definition.interface

(class_declaration
  (modifiers (class_modifier "enum"))
  name: (identifier) @name) @definition.enum

(class_declaration
  name: (identifier) @name) @definition.class

(object_declaration
  name: (identifier) @name) @definition.object

(companion_object
  name: (identifier) @name) @definition.object

(class_body
  (function_declaration
    name: (identifier) @name) @definition.method)

(enum_class_body
  (function_declaration
    name: (identifier) @name) @definition.method)

(function_declaration
  name: (identifier) @name) @definition.function

(property_declaration
  (modifiers (property_modifier "const"))
  (variable_declaration (identifier) @name)) @definition.constant

(source_file
  (property_declaration
    (variable_declaration (identifier) @name)) @definition.property)

(class_body
  (property_declaration
    (variable_declaration (identifier) @name)) @definition.property)

(type_alias
  type: (identifier) @name) @definition.type

(package_header
  (qualified_identifier) @name) @definition.module

; references

(call_expression
  .
  [
    (identifier) @name
    (navigation_expression (identifier) @name .)
  ]) @reference.call

(delegation_specifier
  [
    (user_type (identifier) @name .)
    (constructor_invocation (user_type (identifier) @name .))
  ]) @reference.class

(user_type (identifier) @name .) @reference.type
