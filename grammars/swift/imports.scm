; Swift imports: `import Foundation`, `import struct Foo.Bar`, `@testable import App`.

(import_declaration
  (identifier) @import.module) @import
