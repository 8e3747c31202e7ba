; Go imports: every import spec, grouped or not; the module is the import path.

(import_spec
  path: [
    (interpreted_string_literal (interpreted_string_literal_content) @import.module)
    (raw_string_literal (raw_string_literal_content) @import.module)
  ]) @import
