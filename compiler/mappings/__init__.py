"""Elementwise mappings between semirings (tau): the built-in ones, user mappings from sympy, and their properties."""
