; Python tags. Based on tree-sitter-python 0.25.0 queries/tags.scm (MIT), extended:
; methods, module-level variables, type aliases, class bases, decorators and types.
; Where two patterns match the same node, the first one in this file wins.

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.variable))

(type_alias_statement
  left: (type (identifier) @name)) @definition.type

(class_definition
  name: (identifier) @name) @definition.class

(class_definition
  body: (block
    (function_definition
      name: (identifier) @name) @definition.method))

(class_definition
  body: (block
    (decorated_definition
      definition: (function_definition
        name: (identifier) @name) @definition.method)))

(function_definition
  name: (identifier) @name) @definition.function

(call
  function: [
      (identifier) @name
      (attribute
        attribute: (identifier) @name)
  ]) @reference.call

(class_definition
  superclasses: (argument_list
    [
      (identifier) @name
      (attribute attribute: (identifier) @name)
    ])) @reference.class

(decorator
  [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ]) @reference.call

(type
  [
    (identifier) @name
    (attribute attribute: (identifier) @name)
    (generic_type (identifier) @name)
  ]) @reference.type
