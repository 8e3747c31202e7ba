; Ruby imports: `require "x"`, `require_relative "y"`, `load "z.rb"`.

(
  (call
    method: (identifier) @_method
    arguments: (argument_list
      .
      (string (string_content) @import.module))) @import
  (#any-of? @_method "require" "require_relative" "load" "autoload")
)
