"""Public safety: association rules between case and offender attributes, and crime hotspots."""
