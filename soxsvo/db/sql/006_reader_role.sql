-- The read-only role every user query runs as (SET LOCAL ROLE inside the query's transaction).
-- Roles are cluster-wide, so several soxsvo databases in one cluster share it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'soxsvo_reader') THEN
        CREATE ROLE soxsvo_reader NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA ivoa, soxs, marshall, tap_schema TO soxsvo_reader;
GRANT SELECT ON ivoa.obscore TO soxsvo_reader;
GRANT SELECT ON soxs.observation, soxs.raw_frame, soxs.provenance TO soxsvo_reader;
GRANT SELECT ON marshall.transient, marshall.alias, marshall.photometry TO soxsvo_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA tap_schema TO soxsvo_reader;
-- The reader may build temporary tables (TAP uploads) but owns nothing permanent.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
