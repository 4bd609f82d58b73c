-- Who sees which product: one rule, in SQL, used by every row-level security policy, file and
-- preview download, coverage MOC and count shown to users.
--
-- A product is visible when it is public (its proprietary period has ended, and the operator
-- has not withheld it with data_rights = 'secure'), or the caller has a right to it: PI/co-I of
-- its proposal_id, consortium member and the programme is a consortium one
-- (soxs.programme.consortium), or archive admin.
--
-- data_rights is written at registration ('proprietary' until the release date, then the date
-- alone governs): a stored 'proprietary' whose date has passed is public, as at ESO.
--
-- The caller is handed over per transaction by soxs.set_caller (soxsvo.access.begin_as_reader)
-- as transaction-local settings; soxs.visible_programmes is derived there, once per
-- transaction, so that the per-row test below needs no table lookup. Every function here is
-- LANGUAGE sql without sub-selects, so the planner inlines it and indexes still serve.

CREATE FUNCTION soxs.set_caller(login text, roles text, programmes text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    role_list text[] := string_to_array(nullif(roles, ''), ',');
    visible text;
BEGIN
    SELECT string_agg(p, ',') INTO visible FROM (
        SELECT unnest(string_to_array(nullif(programmes, ''), ',')) AS p
        UNION
        SELECT proposal_id FROM soxs.programme
        WHERE consortium AND 'consortium' = ANY (coalesce(role_list, '{}'))) AS rights;
    PERFORM set_config('soxs.user', coalesce(login, ''), true),
            set_config('soxs.roles', coalesce(roles, ''), true),
            set_config('soxs.programmes', coalesce(programmes, ''), true),
            set_config('soxs.visible_programmes', coalesce(visible, ''), true),
            set_config('soxs.admin',
                       CASE WHEN 'admin' = ANY (coalesce(role_list, '{}')) THEN 'on'
                            ELSE 'off' END, true);
END
$$;
-- Only the archive's own connections (before SET ROLE) name the caller.
REVOKE EXECUTE ON FUNCTION soxs.set_caller(text, text, text) FROM PUBLIC;

-- Public: released and not withheld. LANGUAGE sql, STABLE, no sub-selects: inlined by the
-- planner, so indexes on the arguments still serve.
CREATE FUNCTION soxs.is_public(release_date timestamp, data_rights text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT data_rights IS DISTINCT FROM 'secure' AND soxs.is_released(release_date) $$;

-- What the caller named by soxs.set_caller holds.
CREATE FUNCTION soxs.caller_programmes() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(
              nullif(current_setting('soxs.visible_programmes', true), ''), ','), '{}') $$;
CREATE FUNCTION soxs.caller_is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('soxs.admin', true) = 'on', false) $$;

-- THE rule, given the caller's programmes and admin flag.
CREATE FUNCTION soxs.can_see(release_date timestamp, data_rights text, proposal_id text,
                             programmes text[], admin boolean) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT soxs.is_public(release_date, data_rights) OR admin
                 OR coalesce(proposal_id = ANY (programmes), false) $$;

-- The rule for the caller of this transaction: for single rows (downloads, counts).
CREATE FUNCTION soxs.can_see(release_date timestamp, data_rights text, proposal_id text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT soxs.can_see(release_date, data_rights, proposal_id,
                              soxs.caller_programmes(), soxs.caller_is_admin()) $$;

GRANT EXECUTE ON FUNCTION soxs.is_public(timestamp, text), soxs.caller_programmes(),
    soxs.caller_is_admin(), soxs.can_see(timestamp, text, text, text[], boolean),
    soxs.can_see(timestamp, text, text) TO soxsvo_reader;

DROP POLICY released_products ON ivoa.obscore;
-- The caller's rights as sub-selects: evaluated once per query (InitPlans), not once per row,
-- so that a scan costs a consortium member what it costs an anonymous user.
CREATE POLICY visible_products ON ivoa.obscore FOR SELECT TO soxsvo_reader
    USING (soxs.can_see(obs_release_date, data_rights, proposal_id,
                        (SELECT soxs.caller_programmes()), (SELECT soxs.caller_is_admin())));

-- soxs.product, soxs.ancillary and soxs.calibration get their reader policies in sql/030 and
-- sql/040: a row is visible exactly when its ObsCore row is, so the rule above decides file,
-- preview, DataLink and SODA downloads too.

-- Consortium flags are read by soxs.set_caller, which runs as the archive's owner; programme
-- rights per user stay in the private auth schema.
CREATE INDEX obscore_proposal ON ivoa.obscore (proposal_id);
