"""The archive: Phase 3 products in the store and in ObsCore, and how callers find them.

Owns the archive store, preparing and registering products (``prepare``, ``register``,
``ingest``, ``watch``), the header → ObsCore/image mapping, product lookup under row-level
security (``products``), the archive search and summary. Never serves HTTP; never decides
visibility itself (the database's row-level security does).
"""
