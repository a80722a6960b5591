"""The CPL authority (SECAS): submissions, checks, the list, extracts."""
