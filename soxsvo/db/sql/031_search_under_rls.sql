-- Searches of ivoa.obscore by a reader (TAP, SSA) run under row-level security. PostgreSQL then
-- evaluates a user's condition before the policy only when all its functions are LEAKPROOF;
-- otherwise it cannot be an index condition, and a q3c cone becomes a sequential scan (SSA on
-- 100,000 spectra: 690 ms instead of a few ms). q3c_ang2ipix and q3c_sindist are pure
-- arithmetic on their arguments: they raise no error and have no side effect that could reveal
-- a hidden row, so declaring them LEAKPROOF is sound. Only a superuser may do so: soxsvo's own
-- cluster connects as one; on an external server a DBA runs these two statements.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION q3c_ang2ipix(double precision, double precision) LEAKPROOF;
        ALTER FUNCTION q3c_sindist(double precision, double precision, double precision,
                                   double precision) LEAKPROOF;
    ELSE
        RAISE NOTICE 'not a superuser: q3c_ang2ipix and q3c_sindist stay non-LEAKPROOF, so cone '
                     'searches under row-level security scan ivoa.obscore sequentially';
    END IF;
END
$$;

-- Exact target names (text equality is LEAKPROOF, lower() is not): SSA's TARGETNAME resolves
-- names case-insensitively through the Marshall first, then matches them exactly here.
CREATE INDEX obscore_target_name ON ivoa.obscore (target_name);
