"""CI pipeline generators: one module per provider, an explicit provider table."""
