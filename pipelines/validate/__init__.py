"""Validation: expectation suites (GX 1.x), row-level rules derived from them, quarantine."""
