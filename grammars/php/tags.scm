; PHP tags. Based on tree-sitter-php 0.25.1 queries/tags.scm (MIT), changed: methods are
; `method` (upstream: function); extended: enums, constants, plain function calls, base
; classes, used traits and named types as references.
; Where two patterns match the same node, the first one in this file wins.

(namespace_definition
  name: (namespace_name) @name) @definition.module

(interface_declaration
  name: (name) @name) @definition.interface

(trait_declaration
  name: (name) @name) @definition.interface

(class_declaration
  name: (name) @name) @definition.class

(enum_declaration
  name: (name) @name) @definition.enum

(class_interface_clause [(name) (qualified_name)] @name) @reference.implementation

(base_clause [(name) (qualified_name)] @name) @reference.class

(use_declaration [(name) (qualified_name)] @name) @reference.implementation

(property_declaration
  (property_element (variable_name (name) @name))) @definition.field

(const_declaration
  (const_element (name) @name)) @definition.constant

(function_definition
  name: (name) @name) @definition.function

(method_declaration
  name: (name) @name) @definition.method

(object_creation_expression
  [
    (name) @name
    (qualified_name (name) @name)
    (variable_name (name) @name)
  ]) @reference.class

(function_call_expression
  function: [
    (name) @name
    (qualified_name (name) @name)
    (variable_name (name)) @name
  ]) @reference.call

(scoped_call_expression
  name: (name) @name) @reference.call

(member_call_expression
  name: (name) @name) @reference.call

(named_type
  [
    (name) @name
    (qualified_name (name) @name)
  ]) @reference.type
