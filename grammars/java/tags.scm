; Java tags. Based on tree-sitter-java 0.23.5 queries/tags.scm (MIT), extended: enums,
; records, annotation types, constructors, static final constants, the package, and
; every type name as a reference.
; Where two patterns match the same node, the first one in this file wins.

(class_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name) @definition.class

(enum_declaration
  name: (identifier) @name) @definition.enum

(method_declaration
  name: (identifier) @name) @definition.method

(constructor_declaration
  name: (identifier) @name) @definition.method

(interface_declaration
  name: (identifier) @name) @definition.interface

(annotation_type_declaration
  name: (identifier) @name) @definition.interface

(field_declaration
  (modifiers "static" "final")
  declarator: (variable_declarator
    name: (identifier) @name)) @definition.constant

(package_declaration
  [(identifier) (scoped_identifier)] @name) @definition.module

(method_invocation
  name: (identifier) @name
  arguments: (argument_list) @reference.call)

(type_list
  [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
  ]) @reference.implementation

(object_creation_expression
  type: [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
  ]) @reference.class

(superclass
  [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
  ]) @reference.class

(type_identifier) @name @reference.type
