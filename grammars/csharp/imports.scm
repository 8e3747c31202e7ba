; C# imports: `using A.B;`, `using static A.B;`, `global using A;`, `using X = A.B;` (the
; module is what is imported; an alias is not recorded).

(using_directive
  !name
  [(identifier) (qualified_name)] @import.module) @import

(using_directive
  name: (identifier)
  [(identifier) (qualified_name) (generic_name)] @import.module
  .) @import
