"""Property checkers: they read the IR and return a witness when a property fails."""
