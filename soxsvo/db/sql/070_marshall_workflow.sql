-- The Marshall's triage workflow: which list each transient is in, its priority, its
-- classifications, the consortium's comments and the history of every change.
-- These tables are the consortium's working state, not published data: they have no TAP
-- metadata, and the reader role sees them only for consortium members (row-level security).

-- True when the current reader transaction belongs to a consortium member (or an admin);
-- soxs.roles is set by soxsvo.access.begin_as_reader.
CREATE FUNCTION marshall.is_member() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT string_to_array(coalesce(current_setting('soxs.roles', true), ''), ',')
                 && ARRAY['consortium', 'admin'] $$;
GRANT EXECUTE ON FUNCTION marshall.is_member() TO soxsvo_reader;

-- One row per transient (created with it by the trigger below).
CREATE TABLE marshall.workflow (
    transient_id   bigint PRIMARY KEY REFERENCES marshall.transient ON DELETE CASCADE,
    list           text NOT NULL DEFAULT 'inbox',
    priority       smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
    -- when the object entered its list (age in list, auto-archive grace)
    list_since     timestamptz NOT NULL DEFAULT now(),
    -- snoozed: until when, and the list it returns to
    snoozed_until  timestamptz,
    return_list    text,
    -- snoozed/archived: the magnitude it had then, against which re-brightening is measured
    reference_mag  double precision,
    -- how often the resurrection rule brought it back (capped by configuration)
    resurrections  integer NOT NULL DEFAULT 0
);
CREATE INDEX workflow_list ON marshall.workflow (list, priority, transient_id);
CREATE INDEX workflow_snoozed ON marshall.workflow (snoozed_until) WHERE snoozed_until IS NOT NULL;

INSERT INTO marshall.workflow (transient_id) SELECT transient_id FROM marshall.transient;

CREATE FUNCTION marshall.new_transient_to_inbox() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO marshall.workflow (transient_id) VALUES (NEW.transient_id)
        ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER transient_workflow AFTER INSERT ON marshall.transient
    FOR EACH ROW EXECUTE FUNCTION marshall.new_transient_to_inbox();

-- Spectroscopic classifications, newest wins (marshall.transient.classification/redshift
-- are kept equal to the newest one).
CREATE TABLE marshall.classification (
    classification_id bigserial PRIMARY KEY,
    transient_id      bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    type              text NOT NULL,
    redshift          double precision CHECK (redshift IS NULL OR redshift > -0.1),
    phase_days        double precision,
    spectrum_dp_id    text,
    classified_by     text NOT NULL,
    classified_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classification_transient ON marshall.classification (transient_id, classified_at);

CREATE TABLE marshall.comment (
    comment_id    bigserial PRIMARY KEY,
    transient_id  bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    author        text NOT NULL,
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    mentions      text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_transient ON marshall.comment (transient_id, created_at);
CREATE INDEX comment_mentions ON marshall.comment USING gin (mentions);

-- Who did what, when: every workflow change, by people and by the automatic rules.
CREATE TABLE marshall.history (
    history_id    bigserial PRIMARY KEY,
    transient_id  bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    actor         text NOT NULL,
    action        text NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}',
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_transient ON marshall.history (transient_id, at);

-- List pages sort on discovery_mjd and current_mag (indexed by sql/060) and filter on these.
CREATE INDEX alias_survey ON marshall.alias (survey);
-- Name search ("contains", case-insensitive) on primary names and aliases: trigram indexes.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX alias_name_trgm ON marshall.alias USING gin (lower(name) gin_trgm_ops);
CREATE INDEX transient_name_trgm ON marshall.transient USING gin (lower(name) gin_trgm_ops);

-- The policies wrap is_member() in a scalar subquery: evaluated once per query (an InitPlan)
-- instead of once per row, and invisible to the row estimates, so that list pages keep their
-- index plans (inlined, it was estimated to keep 1% of the rows and turned sorts into scans).
GRANT SELECT ON marshall.workflow, marshall.classification, marshall.comment,
    marshall.history TO soxsvo_reader;
ALTER TABLE marshall.workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_workflow ON marshall.workflow FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
ALTER TABLE marshall.classification ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_classification ON marshall.classification FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
ALTER TABLE marshall.comment ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_comment ON marshall.comment FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
ALTER TABLE marshall.history ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_history ON marshall.history FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
