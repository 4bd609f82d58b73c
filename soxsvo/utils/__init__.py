"""soxsvo.utils."""
