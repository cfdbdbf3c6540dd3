"""PEP 517 builds, build environments, reproducibility."""
