"""The source registry: which departmental feeds exist and what dataset each one feeds."""
