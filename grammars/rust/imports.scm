; Rust imports: `use a::b::C;`, `use a::{b, c as d};`, `use a::*;`, `extern crate x;`.
; The module is the path before the last segment or list; the names are what follows.

(use_declaration
  argument: (scoped_identifier
    path: (_) @import.module
    name: (identifier) @import.name)) @import

(use_declaration
  argument: (use_as_clause
    path: (scoped_identifier
      path: (_) @import.module
      name: (identifier) @import.name))) @import

(use_declaration
  argument: [
    (identifier) @import.module
    (use_as_clause path: (identifier) @import.module)
  ]) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      [
        (identifier) @import.name
        (self) @import.name
        (scoped_identifier) @import.name
        (use_as_clause path: (_) @import.name)
        (use_wildcard) @import.name
      ]))) @import

(use_declaration
  argument: (use_wildcard
    (_) @import.module
    "*" @import.name)) @import

(extern_crate_declaration
  name: (identifier) @import.module) @import
