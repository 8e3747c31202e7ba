; Java imports: `import a.b.C;`, `import static a.b.C.d;`, `import a.b.*;`.

(import_declaration
  (scoped_identifier
    scope: (_) @import.module
    name: (identifier) @import.name)
  .) @import

(import_declaration
  [(identifier) (scoped_identifier)] @import.module
  (asterisk) @import.name) @import
