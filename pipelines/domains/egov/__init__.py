"""E-government: the city indicators from every other mart, the weekly brief, and what the open-data export publishes."""
