-- Until identities exist (the access-control issue), user queries see released data only:
-- row-level security on the rows the reader role can select. The archive's own connections
-- (table owner) are not subject to it, so registration and upkeep see everything.
ALTER TABLE ivoa.obscore ENABLE ROW LEVEL SECURITY;
CREATE POLICY released_products ON ivoa.obscore FOR SELECT TO soxsvo_reader
    USING (obs_release_date <= (now() AT TIME ZONE 'UTC'));

ALTER TABLE soxs.provenance ENABLE ROW LEVEL SECURITY;
CREATE POLICY released_provenance ON soxs.provenance FOR SELECT TO soxsvo_reader
    USING (EXISTS (SELECT 1 FROM ivoa.obscore o
                   WHERE o.obs_publisher_did = provenance.publisher_did));
