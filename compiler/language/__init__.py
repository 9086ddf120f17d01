"""The query language: parse, AST, name resolution, typing, sugar, model declarations and
lowering of typed queries to circuits (docs/architecture.md)."""
