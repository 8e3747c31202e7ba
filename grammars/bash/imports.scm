; Bash imports: the file read by `source FILE` or `. FILE`.

(
  (command
    name: (command_name (word) @_command)
    .
    argument: [(word) (string) (raw_string) (concatenation)] @import.module) @import
  (#any-of? @_command "source" ".")
)
