"""atlasc's compiler: the query language, model sources, the circuit IR, its property checkers
and the three operators, and the program that runs queries (docs/architecture.md)."""
