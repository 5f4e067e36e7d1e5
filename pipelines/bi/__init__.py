"""BI reads: DuckDB over the lake's Delta tables, offline."""
