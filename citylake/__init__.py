"""CityLake's Python SDK for analysts: `from citylake import Lake` (docs/sdk.md)."""

from citylake.sdk import Lake, TableInfo

__all__ = ["Lake", "TableInfo"]
