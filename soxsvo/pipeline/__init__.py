"""Reduced-product side of soxsvo: Phase 3 writing and validation, merging, registration, hooks.

Owns turning pipeline output into archive products and checking them against ESO Phase 3.
Never serves HTTP and never talks to the web layer.
"""
