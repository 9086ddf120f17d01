"""atlasc: compile queries over semirings to algebraic circuits, with tractability certificates."""
__version__ = "0.1.0"
