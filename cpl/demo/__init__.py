"""Demonstration and test data: sample rows and workbooks (`samples`), the demo's files (`workbooks`)."""
