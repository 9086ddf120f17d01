"""The query language's lark grammar files (package data, found with importlib.resources)."""
