"""soxsvo.adql.parse."""
