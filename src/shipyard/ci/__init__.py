"""CI pipelines that release: generated from templates for the project in front of us."""
