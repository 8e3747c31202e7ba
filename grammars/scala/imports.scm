; Scala imports: `import a.b.C` (module a.b, name C), `import a.b.{C, D => E}`,
; `import a.b._`, `import a.b.*`, `import a.b.given`.

(import_declaration
  (identifier) @import.path) @import

(import_declaration
  (namespace_selectors
    [
      (identifier) @import.name
      (arrow_renamed_identifier name: (identifier) @import.name)
      (as_renamed_identifier name: (identifier) @import.name)
      (namespace_wildcard) @import.name
    ])) @import

(import_declaration
  (namespace_wildcard) @import.name) @import
