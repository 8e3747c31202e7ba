; Kotlin imports: `import a.b.C` (module a.b, name C), `import a.b.C as D`, `import a.b.*`.

(
  (import
    (qualified_identifier
      (identifier) @import.name .) @import.module
    .) @import
  (#not-match? @import "[.][ \t]*[*]")
)

(import
  (qualified_identifier
    (identifier) @import.name .) @import.module
  (identifier)) @import

(import
  (qualified_identifier) @import.module
  "*" @import.name) @import
