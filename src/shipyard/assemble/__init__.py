"""Packaging repository: one module -> one package tree (imports, cli, api, apps, docs, data)."""
