"""Submission workbooks as files: `reader` (the safe reader) and `template` (the writers)."""
