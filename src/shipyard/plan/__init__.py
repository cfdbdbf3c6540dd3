"""What a release is, decided before anything is built: versions, commits, changelogs, the frozen Target."""
