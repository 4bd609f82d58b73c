"""Synthetic SOXS data for the demonstration archive (spectra, images, transients).

Owns seeded, deterministic generators of realistic-looking products.
Never writes to the database itself and never pretends to be real observations.
"""
