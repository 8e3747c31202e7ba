; JavaScript imports: `import ... from "m"`, `export ... from "m"`, `require("m")`, `import("m")`.

(import_statement
  source: (string (string_fragment) @import.module)) @import

(import_statement
  (import_clause
    [
      (identifier) @import.name
      (named_imports (import_specifier name: (_) @import.name))
      (namespace_import "*" @import.name)
    ])
  source: (string (string_fragment) @import.module)) @import

(export_statement
  source: (string (string_fragment) @import.module)) @import

(
  (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .)) @import
  (#eq? @_require "require")
)

(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.module))) @import
