"""Fit for the target index, and test-install against the installed wheel."""
