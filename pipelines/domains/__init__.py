"""One package per city application: schema, cleanse, mining and marts."""
