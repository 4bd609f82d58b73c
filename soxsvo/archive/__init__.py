"""soxsvo.archive."""
