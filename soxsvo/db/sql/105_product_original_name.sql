-- `soxsvo ingest` looks up, before validating anything, which of the files it was given are
-- registered already (by file name, then by checksum): re-ingesting a folder then costs one
-- checksum per file instead of a full Phase 3 validation.
CREATE INDEX product_original_name ON soxs.product (original_name);
