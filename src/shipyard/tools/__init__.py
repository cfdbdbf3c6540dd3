"""Thin wrappers over the outside world: git, virtual environments, the network, locks, child environments."""
