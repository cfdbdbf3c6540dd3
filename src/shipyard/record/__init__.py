"""The one writer of a release's edits, commit, tags and push."""
