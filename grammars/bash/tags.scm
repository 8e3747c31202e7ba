; Bash tags. tree-sitter-bash ships no tags query; this one is written for packer (MIT, as
; packer), with the standard tags captures: functions (`f() {}` and `function f {}`),
; variables assigned at the top level (upper-case names as constants), and commands run
; as call references.
; Where two patterns match the same node, the first one in this file wins.

(
  (comment)* @doc
  .
  (function_definition
    name: (word) @name) @definition.function
  (#strip! @doc "^#\\s*")
  (#select-adjacent! @doc @definition.function)
)

(program
  (variable_assignment
    name: (variable_name) @name) @definition.constant
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

(program
  (variable_assignment
    name: (variable_name) @name) @definition.variable)

(program
  (declaration_command
    (variable_assignment
      name: (variable_name) @name) @definition.variable))

(command
  name: (command_name (word) @name)) @reference.call
