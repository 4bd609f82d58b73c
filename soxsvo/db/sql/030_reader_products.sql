-- Spectrum downloads that go through the reader role (SSA getData, and any other service that
-- hands out a product file for a caller): the reader may see a product's file location exactly
-- when it may see the product's ObsCore row, so row-level security on ivoa.obscore (released
-- rows for anonymous callers, more for consortium members and PIs) decides the downloads too.
-- Only the columns needed to serve a file are granted.
GRANT SELECT (publisher_did, dp_id, file_path, original_name, sha256, file_size)
    ON soxs.product TO soxsvo_reader;
ALTER TABLE soxs.product ENABLE ROW LEVEL SECURITY;
-- Another migration may already give the reader the same rule under its own name: policies
-- are OR-ed, so adding a second, identical one would be harmless but confusing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'soxs'
                   AND tablename = 'product' AND 'soxsvo_reader' = ANY (roles)) THEN
        CREATE POLICY product_visible_with_obscore_row ON soxs.product FOR SELECT
            TO soxsvo_reader
            USING (EXISTS (SELECT 1 FROM ivoa.obscore o
                           WHERE o.obs_publisher_did = product.publisher_did));
    END IF;
END
$$;
