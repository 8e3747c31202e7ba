; C# tags. Based on tree-sitter-c-sharp 0.23.5 queries/tags.scm (MIT), extended: structs,
; records, enums, constructors, local functions, properties, delegates, qualified and file-scoped
; namespaces, calls to plain names, and types in parameters, generics and casts as
; references. (The upstream `@module` pattern, which has no definition capture, is dropped.)
; Where two patterns match the same node, the first one in this file wins.

(class_declaration name: (identifier) @name) @definition.class

(class_declaration (base_list (_) @name)) @reference.class

(struct_declaration name: (identifier) @name) @definition.class

(record_declaration name: (identifier) @name) @definition.class

(interface_declaration name: (identifier) @name) @definition.interface

(interface_declaration (base_list (_) @name)) @reference.interface

(enum_declaration name: (identifier) @name) @definition.enum

(method_declaration name: (identifier) @name) @definition.method

(constructor_declaration name: (identifier) @name) @definition.method

(local_function_statement name: (identifier) @name) @definition.function

(property_declaration name: (identifier) @name) @definition.property

(delegate_declaration name: (identifier) @name) @definition.type

(object_creation_expression type: [
  (identifier) @name
  (generic_name (identifier) @name)
  (qualified_name name: (identifier) @name)
]) @reference.class

(type_parameter_constraints_clause (identifier) @name) @reference.class

(type_parameter_constraint (type type: (identifier) @name)) @reference.class

(variable_declaration type: (identifier) @name) @reference.class

(invocation_expression function: (member_access_expression name: (identifier) @name)) @reference.send

(invocation_expression function: [
  (identifier) @name
  (generic_name (identifier) @name)
]) @reference.call

(namespace_declaration name: [(identifier) (qualified_name)] @name) @definition.module

(file_scoped_namespace_declaration name: [(identifier) (qualified_name)] @name) @definition.module

(parameter type: [
  (identifier) @name
  (generic_name (identifier) @name)
]) @reference.type

(method_declaration returns: [
  (identifier) @name
  (generic_name (identifier) @name)
]) @reference.type

(generic_name (identifier) @name) @reference.type

(type_argument_list (identifier) @name) @reference.type

(cast_expression type: (identifier) @name) @reference.type
