"""Jobs that any feed or dataset runs through: ingest and clean (validate + standardize + publish)."""
