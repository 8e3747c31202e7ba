; C++ includes (`#include <a>`, `#include "b.h"`) and `using namespace x;` / `using x::y;`.

(preproc_include
  path: [
    (system_lib_string) @import.module
    (string_literal (string_content) @import.module)
  ]) @import

(using_declaration
  "namespace"
  [(identifier) (qualified_identifier)] @import.module) @import

(using_declaration
  (qualified_identifier
    scope: (_) @import.module
    name: (_) @import.name)) @import
