"""Images for every client: SIAP 2.0 queries (``/sia/query``) over the image rows of ObsCore.

Owns SIA parameters and their translation into an ADQL condition on ``ivoa.obscore``, run by
:mod:`soxsvo.tap.query` as the caller (row-level security decides what exists); the answer is
the ObsCore columns with a DataLink descriptor. Never reads outside a reader transaction.
"""
