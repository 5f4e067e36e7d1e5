"""Reusable, pure transforms: reading delimited text, types, time zones, dedup, gaps."""
