-- The consortium's own work is private until it is published.
--
-- Classifications, redshifts, comments, priorities and workflow lists (the plans of targets not
-- yet observed) belong to the consortium. Before this migration the Marshall copied a
-- member's classification and redshift into marshall.transient, which anonymous TAP, the
-- public HiPS catalogue, MOC queries and SSA read: the consortium's result was public the
-- moment it was typed in.
--
-- Now:
-- * marshall.transient.classification / redshift hold only PUBLIC knowledge: what the surveys
--   reported (TNS, filled by alert ingestion) and consortium classifications once reported to
--   TNS. Only the trigger below copies a consortium classification there, and only a
--   published one, so no Python path can publish by mistake.
-- * The consortium's own current classification and redshift live in marshall.workflow
--   (consortium_type, consortium_redshift), whose rows only members and admins see.
-- * marshall.classification rows are visible to members and admins, and to everyone once
--   reported_to_tns_at is set (publication cannot be undone: TNS is public).
-- * Comments, history and workflow state stay members-only (sql/070).

ALTER TABLE marshall.classification ADD COLUMN reported_to_tns_at timestamptz;
COMMENT ON COLUMN marshall.classification.reported_to_tns_at IS
    'When the classification was reported to TNS (made public); NULL: private to the consortium.';

ALTER TABLE marshall.workflow
    ADD COLUMN consortium_type text,
    ADD COLUMN consortium_redshift double precision;
COMMENT ON COLUMN marshall.workflow.consortium_type IS
    'Type of the newest consortium classification (private: row-level security).';
COMMENT ON COLUMN marshall.workflow.consortium_redshift IS
    'Redshift of the newest consortium classification that gives one (private).';

-- Keep both copies of a transient's classification equal to marshall.classification:
-- the private one (workflow) follows the newest classification; the public one (transient)
-- follows the newest PUBLISHED classification and is left alone while there is none (it then
-- holds what surveys reported).
CREATE FUNCTION marshall.classification_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    newest record;
    published record;
BEGIN
    SELECT c.type,
           (SELECT z.redshift FROM marshall.classification z
            WHERE z.transient_id = NEW.transient_id AND z.redshift IS NOT NULL
            ORDER BY z.classified_at DESC, z.classification_id DESC LIMIT 1) AS redshift
        INTO newest
        FROM marshall.classification c WHERE c.transient_id = NEW.transient_id
        ORDER BY c.classified_at DESC, c.classification_id DESC LIMIT 1;
    UPDATE marshall.workflow SET consortium_type = newest.type,
                                 consortium_redshift = newest.redshift
        WHERE transient_id = NEW.transient_id;
    SELECT c.type,
           (SELECT z.redshift FROM marshall.classification z
            WHERE z.transient_id = NEW.transient_id AND z.redshift IS NOT NULL
              AND z.reported_to_tns_at IS NOT NULL
            ORDER BY z.classified_at DESC, z.classification_id DESC LIMIT 1) AS redshift
        INTO published
        FROM marshall.classification c
        WHERE c.transient_id = NEW.transient_id AND c.reported_to_tns_at IS NOT NULL
        ORDER BY c.classified_at DESC, c.classification_id DESC LIMIT 1;
    IF FOUND THEN
        UPDATE marshall.transient SET classification = published.type,
                                      redshift = coalesce(published.redshift, redshift),
                                      updated_at = now()
            WHERE transient_id = NEW.transient_id
              AND (classification IS DISTINCT FROM published.type
                   OR redshift IS DISTINCT FROM coalesce(published.redshift, redshift));
    END IF;
    RETURN NULL;
END $$;

-- Publication is one-way: once reported to TNS the classification is public everywhere, and
-- what it said may no longer change (the public copy would disagree with TNS).
CREATE FUNCTION marshall.published_classification_is_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.reported_to_tns_at IS NOT NULL AND (
            NEW.reported_to_tns_at IS DISTINCT FROM OLD.reported_to_tns_at
            OR (NEW.type, NEW.redshift, NEW.transient_id)
               IS DISTINCT FROM (OLD.type, OLD.redshift, OLD.transient_id)) THEN
        RAISE EXCEPTION 'classification % was reported to TNS and is public: it cannot change',
            OLD.classification_id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER classification_final BEFORE UPDATE ON marshall.classification
    FOR EACH ROW EXECUTE FUNCTION marshall.published_classification_is_final();
CREATE TRIGGER classification_copies AFTER INSERT OR UPDATE ON marshall.classification
    FOR EACH ROW EXECUTE FUNCTION marshall.classification_changed();

-- Existing databases: the consortium's classifications are already copied into the public
-- columns, and what the surveys had said before is lost. Privacy first: clear the public
-- classification of every transient the consortium classified (alert ingestion fills it
-- again from the next TNS report), and its redshift when a consortium classification gave one;
-- then fill the private copies.
UPDATE marshall.transient t
    SET classification = NULL,
        redshift = CASE WHEN EXISTS (SELECT 1 FROM marshall.classification c
                                     WHERE c.transient_id = t.transient_id
                                       AND c.redshift IS NOT NULL)
                        THEN NULL ELSE t.redshift END,
        updated_at = now()
    WHERE EXISTS (SELECT 1 FROM marshall.classification c
                  WHERE c.transient_id = t.transient_id);
UPDATE marshall.workflow w
    SET consortium_type = (SELECT c.type FROM marshall.classification c
                           WHERE c.transient_id = w.transient_id
                           ORDER BY c.classified_at DESC, c.classification_id DESC LIMIT 1),
        consortium_redshift = (SELECT c.redshift FROM marshall.classification c
                               WHERE c.transient_id = w.transient_id AND c.redshift IS NOT NULL
                               ORDER BY c.classified_at DESC, c.classification_id DESC LIMIT 1)
    WHERE EXISTS (SELECT 1 FROM marshall.classification c
                  WHERE c.transient_id = w.transient_id);

-- Who sees a classification row: members and admins always; everyone once it is published.
-- is_member() stays a scalar sub-select (one InitPlan per query, see sql/070); the row test is
-- a plain IS NOT NULL, which the planner may push below the policy (no function to leak).
DROP POLICY members_classification ON marshall.classification;
CREATE POLICY visible_classification ON marshall.classification FOR SELECT TO soxsvo_reader
    USING (reported_to_tns_at IS NOT NULL OR (SELECT marshall.is_member()));
-- Published classifications are listed by TAP (soxsvo/db/columns/marshall.classification.toml)
-- and the public HiPS asks for the newest publication time.
CREATE INDEX classification_published ON marshall.classification (reported_to_tns_at)
    WHERE reported_to_tns_at IS NOT NULL;

-- No new function is applied to row values here: is_member() takes no argument and runs once
-- per query, and IS NOT NULL is an operator-free test, so the policies add nothing that would
-- need LEAKPROOF to keep an index usable (compare sql/022).
