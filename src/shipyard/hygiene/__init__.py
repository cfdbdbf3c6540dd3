"""Release hygiene: one Finding type, doctor."""
