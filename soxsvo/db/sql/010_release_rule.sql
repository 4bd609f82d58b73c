-- The one definition of "released" (public once its proprietary period has ended), used by the
-- row-level security policies, the file downloads, the landing page and the coverage MOCs, so
-- that no two paths can disagree about a product. obs_release_date is UTC without time zone.
-- LANGUAGE sql and STABLE: PostgreSQL inlines it, so an index on obs_release_date still serves.
CREATE FUNCTION soxs.is_released(release_date timestamp) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT release_date <= (now() AT TIME ZONE 'UTC') $$;
GRANT EXECUTE ON FUNCTION soxs.is_released(timestamp) TO soxsvo_reader;

DROP POLICY released_products ON ivoa.obscore;
CREATE POLICY released_products ON ivoa.obscore FOR SELECT TO soxsvo_reader
    USING (soxs.is_released(obs_release_date));
