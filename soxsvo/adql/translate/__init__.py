"""soxsvo.adql.translate."""
