"""atlasc: compile queries over semirings to algebraic circuits, with tractability certificates."""
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`compiler.compile_file` / `compiler.compile_string`, imported on first use."""
    if name in ("compile_file", "compile_string"):
        from compiler import api
        return getattr(api, name)
    raise AttributeError(f"module 'compiler' has no attribute {name!r}")
