"""Pure validators of Rights Management input (no database)."""
