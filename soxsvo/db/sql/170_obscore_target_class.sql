-- ObsCore target_class from the Marshall's PUBLIC classification of the target.
--
-- Registration writes target_class from the product header when it carries one (the ESO
-- Phase 3 standard defines no object-class keyword, so today it is NULL); this migration fills
-- the rest from marshall.transient.classification. That column holds only public knowledge
-- (what surveys reported to TNS, and consortium classifications once reported to TNS: see
-- sql/110, whose trigger is the only writer of a consortium class there), so reading it here
-- cannot publish the consortium's private work: an unpublished classification lives in
-- marshall.workflow / marshall.classification and never reaches ivoa.obscore.
--
-- The target of a product is the transient of its observation (soxs.observation.transient_id)
-- or, when the observation is not linked, the transient or alias named like the product's
-- OBJECT (target_name).

CREATE FUNCTION ivoa.public_target_class(p_obs_id text, p_target_name text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT coalesce(
        (SELECT t.classification FROM soxs.observation o
         JOIN marshall.transient t ON t.transient_id = o.transient_id
         WHERE o.obs_id = p_obs_id),
        (SELECT t.classification FROM marshall.transient t
         WHERE lower(t.name) = lower(p_target_name)),
        (SELECT t.classification FROM marshall.alias a
         JOIN marshall.transient t ON t.transient_id = a.transient_id
         WHERE lower(a.name) = lower(p_target_name)
         ORDER BY t.transient_id LIMIT 1))
$$;
COMMENT ON FUNCTION ivoa.public_target_class(text, text) IS
    'Public (TNS or published consortium) classification of the target of an ObsCore row.';

-- A new row without a class from its header takes the target's public class.
CREATE FUNCTION ivoa.obscore_fill_target_class() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.target_class IS NULL THEN
        NEW.target_class := ivoa.public_target_class(NEW.obs_id, NEW.target_name);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER obscore_target_class BEFORE INSERT ON ivoa.obscore
    FOR EACH ROW EXECUTE FUNCTION ivoa.obscore_fill_target_class();

-- When the public class of a transient changes (a TNS report, or a consortium classification
-- reported to TNS), its products follow. A class that came from the product's own header
-- (different from the transient's previous public class) is left alone. SECURITY DEFINER:
-- the Marshall's writer has no right to update ivoa.obscore, and row-level security must not
-- hide proprietary products from this update.
CREATE FUNCTION ivoa.transient_class_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    old_class text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.classification END;
BEGIN
    UPDATE ivoa.obscore c
        SET target_class = NEW.classification, last_mod_date = now()
        WHERE (c.target_class IS NULL OR c.target_class = old_class)
          AND c.target_class IS DISTINCT FROM NEW.classification
          AND (c.obs_id IN (SELECT o.obs_id FROM soxs.observation o
                            WHERE o.transient_id = NEW.transient_id)
               OR lower(c.target_name) = lower(NEW.name)
               OR lower(c.target_name) IN (SELECT lower(a.name) FROM marshall.alias a
                                           WHERE a.transient_id = NEW.transient_id));
    RETURN NULL;
END $$;
CREATE TRIGGER transient_class_to_obscore
    AFTER INSERT OR UPDATE OF classification ON marshall.transient
    FOR EACH ROW EXECUTE FUNCTION ivoa.transient_class_changed();

-- Existing rows.
UPDATE ivoa.obscore
    SET target_class = ivoa.public_target_class(obs_id, target_name)
    WHERE target_class IS NULL AND ivoa.public_target_class(obs_id, target_name) IS NOT NULL;
