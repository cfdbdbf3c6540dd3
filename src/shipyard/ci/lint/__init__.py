"""shipyard ci check: pipelines read with their line numbers, rules per provider."""
