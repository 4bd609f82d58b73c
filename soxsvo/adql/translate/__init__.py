"""Syntax tree → PostgreSQL/q3c SQL: name resolution against the published tables (scope),
expressions, geometry and units, and the result columns' metadata. Never executes SQL."""
