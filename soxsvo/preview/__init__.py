"""Spectrum previews (``/preview/<dp_id>.png``): drawn on first request, cached by checksum."""
