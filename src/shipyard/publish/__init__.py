"""Idempotent publish, verify, release state, audit log: talk to an Index, nothing else."""
