"""Running compiled queries: the program, its results and their outputs (docs/architecture.md)."""
