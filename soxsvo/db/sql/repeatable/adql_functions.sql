-- Exact spherical geometry and HEALPix helpers for ADQL queries.
-- Geometries are DALI arrays in degrees: point [lon, lat], circle [lon, lat, r],
-- polygon [lon1, lat1, lon2, lat2, ...] with great-circle edges; the polygon is the
-- smaller of the two regions its edges bound (orientation does not matter).
-- COST: the exact tests below are PL/pgSQL loops over vertices, ~0.1-1 ms a call, where the
-- default COST 100 says 0.25 cost units (a few microseconds). With it the planner put
-- soxs_adql.intersects before the q3c cone in a filter and ran it on every row (22.8 s for
-- INTERSECTS(s_region, CIRCLE) on 20,000 ObsCore rows); declared in units of
-- cpu_operator_cost, the costs below (~0.5 ms for a test, ~5 ms for an intersection area)
-- make q3c's index and cheap filters go first and the exact test run on what is left.
CREATE SCHEMA IF NOT EXISTS soxs_adql;

CREATE OR REPLACE FUNCTION soxs_adql._vec(lon double precision, lat double precision)
RETURNS double precision[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY[cos(radians(lat)) * cos(radians(lon)),
                 cos(radians(lat)) * sin(radians(lon)),
                 sin(radians(lat))]
$$;

CREATE OR REPLACE FUNCTION soxs_adql._dot(a double precision[], b double precision[])
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
$$;

CREATE OR REPLACE FUNCTION soxs_adql._cross(a double precision[], b double precision[])
RETURNS double precision[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY[a[2] * b[3] - a[3] * b[2], a[3] * b[1] - a[1] * b[3], a[1] * b[2] - a[2] * b[1]]
$$;

-- Angle between two unit vectors, degrees (atan2 form: accurate for tiny angles).
CREATE OR REPLACE FUNCTION soxs_adql._angle(a double precision[], b double precision[])
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT degrees(atan2(sqrt(c[1] * c[1] + c[2] * c[2] + c[3] * c[3]), soxs_adql._dot(a, b)))
    FROM (SELECT soxs_adql._cross(a, b) AS c) AS s
$$;

-- Unit vectors e1, e2 (flat, e1 first) completing unit vector c to an orthonormal basis: the
-- axes of the plane tangent to the sphere at c.
CREATE OR REPLACE FUNCTION soxs_adql._tangent_basis(c double precision[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    e1 double precision[] := soxs_adql._cross(ARRAY[0, 0, 1]::double precision[], c);
    len double precision;
BEGIN
    IF sqrt(soxs_adql._dot(e1, e1)) < 1e-9 THEN
        e1 := soxs_adql._cross(ARRAY[1, 0, 0]::double precision[], c);
    END IF;
    len := sqrt(soxs_adql._dot(e1, e1));
    e1 := ARRAY[e1[1] / len, e1[2] / len, e1[3] / len];
    RETURN e1 || soxs_adql._cross(c, e1);
END $$;

-- Unit vectors of the polygon vertices, as a 2-D array n x 3.
CREATE OR REPLACE FUNCTION soxs_adql._vertices(poly double precision[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result double precision[] := '{}';
    i integer;
BEGIN
    FOR i IN 1 .. array_length(poly, 1) / 2 LOOP
        result := result || ARRAY[soxs_adql._vec(poly[2 * i - 1], poly[2 * i])];
    END LOOP;
    RETURN result;
END $$;

-- Angular distance (degrees) from unit vector p to the great-circle arc a-b.
CREATE OR REPLACE FUNCTION soxs_adql._arc_distance(
    p double precision[], a double precision[], b double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    nrm double precision[] := soxs_adql._cross(a, b);
    len double precision := sqrt(soxs_adql._dot(nrm, nrm));
    d double precision;
BEGIN
    IF len > 1e-15 THEN
        nrm := ARRAY[nrm[1] / len, nrm[2] / len, nrm[3] / len];
        d := soxs_adql._dot(p, nrm);
        -- The foot of the perpendicular lies on the arc iff it is between a and b.
        IF soxs_adql._dot(soxs_adql._cross(a, p), nrm) >= 0
           AND soxs_adql._dot(soxs_adql._cross(p, b), nrm) >= 0 THEN
            RETURN degrees(asin(least(1.0, abs(d))));
        END IF;
    END IF;
    RETURN least(soxs_adql._angle(p, a), soxs_adql._angle(p, b));
END $$;

-- Do the great-circle arcs a-b and c-d (each shorter than 180 deg) cross?
CREATE OR REPLACE FUNCTION soxs_adql._arcs_cross(
    a double precision[], b double precision[], c double precision[], d double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    n1 double precision[] := soxs_adql._cross(a, b);
    n2 double precision[] := soxs_adql._cross(c, d);
    t double precision[];
    s1 double precision;
    s2 double precision;
BEGIN
    IF sign(soxs_adql._dot(n1, c)) * sign(soxs_adql._dot(n1, d)) > 0
       OR sign(soxs_adql._dot(n2, a)) * sign(soxs_adql._dot(n2, b)) > 0 THEN
        RETURN false;
    END IF;
    t := soxs_adql._cross(n1, n2);
    -- Both arcs must meet the same one of the two antipodal intersection points.
    s1 := soxs_adql._dot(t, ARRAY[a[1] + b[1], a[2] + b[2], a[3] + b[3]]);
    s2 := soxs_adql._dot(t, ARRAY[c[1] + d[1], c[2] + d[2], c[3] + d[3]]);
    RETURN sign(s1) * sign(s2) > 0;
END $$;

-- Point in polygon: even-odd rule in the gnomonic projection centred on the mean vertex
-- direction, where great-circle edges are straight lines.
CREATE OR REPLACE FUNCTION soxs_adql.point_in_polygon(
    lon double precision, lat double precision, poly double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
DECLARE
    v double precision[] := soxs_adql._vertices(poly);
    n integer := array_length(poly, 1) / 2;
    c double precision[] := ARRAY[0, 0, 0];
    e1 double precision[];
    e2 double precision[];
    p double precision[] := soxs_adql._vec(lon, lat);
    xs double precision[] := '{}';
    ys double precision[] := '{}';
    w double precision;
    px double precision;
    py double precision;
    len double precision;
    inside boolean := false;
    i integer;
    j integer;
BEGIN
    FOR i IN 1 .. n LOOP
        c := ARRAY[c[1] + v[i][1], c[2] + v[i][2], c[3] + v[i][3]];
    END LOOP;
    len := sqrt(soxs_adql._dot(c, c));
    IF len < 1e-12 THEN
        RETURN NULL;
    END IF;
    c := ARRAY[c[1] / len, c[2] / len, c[3] / len];
    w := soxs_adql._dot(p, c);
    IF w <= 0 THEN
        RETURN false;
    END IF;
    e1 := soxs_adql._tangent_basis(c);
    e2 := e1[4:6];
    e1 := e1[1:3];
    px := soxs_adql._dot(p, e1) / w;
    py := soxs_adql._dot(p, e2) / w;
    FOR i IN 1 .. n LOOP
        w := soxs_adql._dot(ARRAY[v[i][1], v[i][2], v[i][3]], c);
        IF w <= 0 THEN
            RETURN NULL;  -- polygon larger than a hemisphere: not supported
        END IF;
        xs := xs || (soxs_adql._dot(ARRAY[v[i][1], v[i][2], v[i][3]], e1) / w);
        ys := ys || (soxs_adql._dot(ARRAY[v[i][1], v[i][2], v[i][3]], e2) / w);
    END LOOP;
    j := n;
    FOR i IN 1 .. n LOOP
        IF (ys[i] > py) <> (ys[j] > py)
           AND px < (xs[j] - xs[i]) * (py - ys[i]) / (ys[j] - ys[i]) + xs[i] THEN
            inside := NOT inside;
        END IF;
        j := i;
    END LOOP;
    RETURN inside;
END $$;

-- Smallest distance (degrees) from unit vector p to the polygon's boundary.
CREATE OR REPLACE FUNCTION soxs_adql._edge_distance(p double precision[], poly double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v double precision[] := soxs_adql._vertices(poly);
    n integer := array_length(poly, 1) / 2;
    best double precision := 360;
    i integer;
    j integer := n;
BEGIN
    FOR i IN 1 .. n LOOP
        best := least(best, soxs_adql._arc_distance(
            p, ARRAY[v[j][1], v[j][2], v[j][3]], ARRAY[v[i][1], v[i][2], v[i][3]]));
        j := i;
    END LOOP;
    RETURN best;
END $$;

-- Does any edge of polygon a cross any edge of polygon b?
CREATE OR REPLACE FUNCTION soxs_adql._edges_cross(a double precision[], b double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    va double precision[] := soxs_adql._vertices(a);
    vb double precision[] := soxs_adql._vertices(b);
    na integer := array_length(a, 1) / 2;
    nb integer := array_length(b, 1) / 2;
    i integer;
    j integer;
    pi_ integer := na;
    pj integer;
BEGIN
    FOR i IN 1 .. na LOOP
        pj := nb;
        FOR j IN 1 .. nb LOOP
            IF soxs_adql._arcs_cross(
                ARRAY[va[pi_][1], va[pi_][2], va[pi_][3]], ARRAY[va[i][1], va[i][2], va[i][3]],
                ARRAY[vb[pj][1], vb[pj][2], vb[pj][3]], ARRAY[vb[j][1], vb[j][2], vb[j][3]])
            THEN
                RETURN true;
            END IF;
            pj := j;
        END LOOP;
        pi_ := i;
    END LOOP;
    RETURN false;
END $$;

-- All vertices of polygon a inside region b (a point test per vertex)?
CREATE OR REPLACE FUNCTION soxs_adql._vertices_in(a double precision[], b double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. array_length(a, 1) / 2 LOOP
        IF NOT coalesce(soxs_adql.contains(ARRAY[a[2 * i - 1], a[2 * i]], b), false) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION soxs_adql._any_vertex_in(a double precision[], b double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. array_length(a, 1) / 2 LOOP
        IF coalesce(soxs_adql.contains(ARRAY[a[2 * i - 1], a[2 * i]], b), false) THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;

-- CONTAINS(a, b): is a entirely within b?
CREATE OR REPLACE FUNCTION soxs_adql.contains(a double precision[], b double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
DECLARE
    la integer := array_length(a, 1);
    lb integer := array_length(b, 1);
    d double precision;
BEGIN
    IF la = 2 AND lb = 2 THEN
        RETURN soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2])) = 0;
    ELSIF la = 2 AND lb = 3 THEN
        RETURN soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2])) <= b[3];
    ELSIF la = 2 THEN
        RETURN soxs_adql.point_in_polygon(a[1], a[2], b);
    ELSIF la = 3 AND lb = 3 THEN
        d := soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2]));
        RETURN d + a[3] <= b[3];
    ELSIF la = 3 AND lb = 2 THEN
        RETURN a[3] = 0 AND soxs_adql.contains(ARRAY[a[1], a[2]], b);
    ELSIF la = 3 THEN
        RETURN soxs_adql.point_in_polygon(a[1], a[2], b)
            AND soxs_adql._edge_distance(soxs_adql._vec(a[1], a[2]), b) >= a[3];
    ELSIF lb = 2 THEN
        RETURN false;
    ELSIF lb = 3 THEN
        RETURN soxs_adql._vertices_in(a, b);
    ELSE
        RETURN soxs_adql._vertices_in(a, b) AND NOT soxs_adql._edges_cross(a, b);
    END IF;
END $$;

-- INTERSECTS(a, b): do a and b share at least one point?
CREATE OR REPLACE FUNCTION soxs_adql.intersects(a double precision[], b double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
DECLARE
    la integer := array_length(a, 1);
    lb integer := array_length(b, 1);
BEGIN
    IF la = 2 THEN
        RETURN soxs_adql.contains(a, b);
    ELSIF lb = 2 THEN
        RETURN soxs_adql.contains(b, a);
    ELSIF la = 3 AND lb = 3 THEN
        RETURN soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2]))
            <= a[3] + b[3];
    ELSIF la = 3 OR lb = 3 THEN
        IF lb = 3 THEN
            RETURN soxs_adql.intersects(b, a);
        END IF;
        -- A first vertex in the circle settles it with one angle (footprints within a
        -- search circle, the usual case, skip the polygon tests below).
        IF soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2])) <= a[3] THEN
            RETURN true;
        END IF;
        RETURN coalesce(soxs_adql.point_in_polygon(a[1], a[2], b), false)
            OR soxs_adql._edge_distance(soxs_adql._vec(a[1], a[2]), b) <= a[3];
    ELSE
        RETURN soxs_adql._any_vertex_in(a, b) OR soxs_adql._any_vertex_in(b, a)
            OR soxs_adql._edges_cross(a, b);
    END IF;
END $$;

-- ADQL 2.1 BOX(lon, lat, width, height) as its four-vertex polygon, for boxes built from
-- columns (the translator computes boxes of numbers itself, the same way:
-- soxsvo.adql.translate.geometry.box_vertices, whose docstring gives the geometry).
CREATE OR REPLACE FUNCTION soxs_adql.box(
    lon double precision, lat double precision, width double precision, height double precision)
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    a double precision := radians(width / 2);
    b double precision := radians(height / 2);
    corner double precision := atan(tan(radians(height / 2)) * cos(radians(width / 2)));
    clon double precision := radians(lon);
    clat double precision := radians(lat);
    out double precision[] := '{}';
    s integer[] := ARRAY[-1, -1, 1, -1, 1, 1, -1, 1];
    x double precision; y double precision; z double precision; t double precision;
BEGIN
    IF abs(lat) >= 90 THEN
        RAISE EXCEPTION 'BOX: a box centred on a pole has no orientation; use a POLYGON or '
            'a CIRCLE there' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (width > 0 AND width < 180 AND height > 0 AND height < 180) THEN
        RAISE EXCEPTION 'BOX: the width and height must be between 0 and 180 degrees, not % '
            'and %', width, height USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k IN 0..3 LOOP
        x := cos(s[2 * k + 2] * corner) * cos(s[2 * k + 1] * a);
        y := cos(s[2 * k + 2] * corner) * sin(s[2 * k + 1] * a);
        z := sin(s[2 * k + 2] * corner);
        t := x * cos(clat) - z * sin(clat);
        z := x * sin(clat) + z * cos(clat);
        x := t;
        t := x * cos(clon) - y * sin(clon);
        y := x * sin(clon) + y * cos(clon);
        x := t;
        t := degrees(atan2(y, x));
        out := out || ARRAY[CASE WHEN t < 0 THEN t + 360 ELSE t END,
                            degrees(asin(greatest(-1, least(1, z))))];
    END LOOP;
    RETURN out;
END $$;

-- A region (DALI array) as the STC-S string of TAP 1.0/ObsCore adql:REGION columns.
CREATE OR REPLACE FUNCTION soxs_adql.stcs(g double precision[])
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE cardinality(g) WHEN 2 THEN 'POSITION ICRS ' WHEN 3 THEN 'CIRCLE ICRS '
           ELSE 'POLYGON ICRS ' END || array_to_string(g, ' ')
$$;

-- Centre of a geometry: the point itself, a circle's centre, a polygon's mean vertex.
CREATE OR REPLACE FUNCTION soxs_adql.centroid(g double precision[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    v double precision[];
    c double precision[] := ARRAY[0, 0, 0];
    i integer;
BEGIN
    IF array_length(g, 1) <= 3 THEN
        RETURN g[1:2];
    END IF;
    v := soxs_adql._vertices(g);
    FOR i IN 1 .. array_length(g, 1) / 2 LOOP
        c := ARRAY[c[1] + v[i][1], c[2] + v[i][2], c[3] + v[i][3]];
    END LOOP;
    RETURN ARRAY[
        CASE WHEN c[1] = 0 AND c[2] = 0 THEN 0
             ELSE mod(cast(degrees(atan2(c[2], c[1])) + 360 AS numeric), 360)::double precision
        END,
        degrees(atan2(c[3], sqrt(c[1] * c[1] + c[2] * c[2])))];
END $$;

-- DISTANCE(a, b) in degrees; 0 when a point lies inside the other region.
CREATE OR REPLACE FUNCTION soxs_adql.distance(a double precision[], b double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    la integer := array_length(a, 1);
    lb integer := array_length(b, 1);
    p double precision[];
    d double precision;
BEGIN
    IF la <> 2 AND lb = 2 THEN
        RETURN soxs_adql.distance(b, a);
    END IF;
    IF la = 2 THEN
        p := soxs_adql._vec(a[1], a[2]);
        IF lb = 2 THEN
            RETURN soxs_adql._angle(p, soxs_adql._vec(b[1], b[2]));
        ELSIF lb = 3 THEN
            RETURN greatest(0, soxs_adql._angle(p, soxs_adql._vec(b[1], b[2])) - b[3]);
        ELSIF soxs_adql.point_in_polygon(a[1], a[2], b) THEN
            RETURN 0;
        END IF;
        RETURN soxs_adql._edge_distance(p, b);
    END IF;
    a := soxs_adql.centroid(a);
    b := soxs_adql.centroid(b);
    RETURN soxs_adql._angle(soxs_adql._vec(a[1], a[2]), soxs_adql._vec(b[1], b[2]));
END $$;

-- AREA in square degrees: cap area for circles, spherical excess for polygons.
CREATE OR REPLACE FUNCTION soxs_adql.area(g double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    n integer := array_length(g, 1) / 2;
    v double precision[];
    c double precision[];
    a double precision[];
    b double precision[];
    total double precision := 0;
    i integer;
    j integer;
BEGIN
    IF array_length(g, 1) = 2 THEN
        RETURN 0;
    ELSIF array_length(g, 1) = 3 THEN
        RETURN 2 * pi() * (1 - cos(radians(g[3]))) * (180 / pi()) ^ 2;
    END IF;
    v := soxs_adql._vertices(g);
    c := soxs_adql.centroid(g);
    c := soxs_adql._vec(c[1], c[2]);
    j := n;
    -- Signed fan of triangles (c, v_j, v_i); Oosterom & Strackee solid angle formula.
    FOR i IN 1 .. n LOOP
        a := ARRAY[v[j][1], v[j][2], v[j][3]];
        b := ARRAY[v[i][1], v[i][2], v[i][3]];
        total := total + 2 * atan2(soxs_adql._dot(c, soxs_adql._cross(a, b)),
                                   1 + soxs_adql._dot(c, a) + soxs_adql._dot(a, b)
                                     + soxs_adql._dot(b, c));
        j := i;
    END LOOP;
    RETURN abs(total) * (180 / pi()) ^ 2;
END $$;

-- ESO_INTERSECTION: area (square degrees) of the overlap of two regions. Vertices travel as
-- flat arrays of unit vectors [x1, y1, z1, x2, ...].
CREATE OR REPLACE FUNCTION soxs_adql._flat(poly double precision[])
RETURNS double precision[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x ORDER BY n), '{}')
    FROM unnest(soxs_adql._vertices(poly)) WITH ORDINALITY AS v(x, n)
$$;

-- Flat unit vectors back to a DALI polygon (degrees).
CREATE OR REPLACE FUNCTION soxs_adql._dali(v double precision[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result double precision[] := '{}';
    lon double precision;
    i integer;
BEGIN
    FOR i IN 1 .. coalesce(array_length(v, 1), 0) / 3 LOOP
        lon := degrees(atan2(v[3 * i - 1], v[3 * i - 2]));
        result := result || CASE WHEN lon < 0 THEN lon + 360 ELSE lon END
            || degrees(atan2(v[3 * i], sqrt(v[3 * i - 2] ^ 2 + v[3 * i - 1] ^ 2)));
    END LOOP;
    RETURN result;
END $$;

-- Is the polygon convex (every turn the same way; collinear vertices ignored)?
CREATE OR REPLACE FUNCTION soxs_adql._convex(poly double precision[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v double precision[] := soxs_adql._flat(poly);
    n integer := array_length(poly, 1) / 2;
    turn double precision;
    seen integer := 0;
    i integer;
    prev integer;
    nxt integer;
BEGIN
    FOR i IN 1 .. n LOOP
        prev := CASE WHEN i = 1 THEN n ELSE i - 1 END;
        nxt := CASE WHEN i = n THEN 1 ELSE i + 1 END;
        turn := soxs_adql._dot(soxs_adql._cross(v[3 * prev - 2:3 * prev], v[3 * i - 2:3 * i]),
                               v[3 * nxt - 2:3 * nxt]);
        IF abs(turn) > 1e-15 THEN
            IF seen <> 0 AND sign(turn) <> seen THEN
                RETURN false;
            END IF;
            seen := sign(turn);
        END IF;
    END LOOP;
    RETURN true;
END $$;

-- Sutherland-Hodgman on the sphere: the part of polygon subject inside the convex polygon
-- clip (both flat unit vectors), clipped by the hemisphere of each great-circle edge of clip
-- that holds clip's mean vertex. Edges cross a plane where |dp| q + |dq| p is on it.
CREATE OR REPLACE FUNCTION soxs_adql._clip(subject double precision[], clip double precision[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    m integer := array_length(clip, 1) / 3;
    c double precision[] := ARRAY[0, 0, 0];
    result double precision[] := subject;
    input double precision[];
    nrm double precision[];
    p double precision[];
    q double precision[];
    x double precision[];
    dp double precision;
    dq double precision;
    len double precision;
    nv integer;
    i integer;
    j integer;
    k integer;
BEGIN
    FOR i IN 1 .. m LOOP
        c := ARRAY[c[1] + clip[3 * i - 2], c[2] + clip[3 * i - 1], c[3] + clip[3 * i]];
    END LOOP;
    j := m;
    FOR i IN 1 .. m LOOP
        nrm := soxs_adql._cross(clip[3 * j - 2:3 * j], clip[3 * i - 2:3 * i]);
        IF soxs_adql._dot(nrm, c) < 0 THEN
            nrm := ARRAY[-nrm[1], -nrm[2], -nrm[3]];
        END IF;
        j := i;
        input := result;
        result := '{}';
        IF coalesce(array_length(input, 1), 0) < 9 THEN
            RETURN '{}';
        END IF;
        nv := array_length(input, 1) / 3;
        p := input[3 * nv - 2:3 * nv];
        dp := soxs_adql._dot(nrm, p);
        FOR k IN 1 .. nv LOOP
            q := input[3 * k - 2:3 * k];
            dq := soxs_adql._dot(nrm, q);
            IF (dq >= 0 AND dp < 0) OR (dq < 0 AND dp > 0) THEN
                x := ARRAY[abs(dp) * q[1] + abs(dq) * p[1], abs(dp) * q[2] + abs(dq) * p[2],
                           abs(dp) * q[3] + abs(dq) * p[3]];
                len := sqrt(soxs_adql._dot(x, x));
                result := result || ARRAY[x[1] / len, x[2] / len, x[3] / len];
            END IF;
            IF dq >= 0 THEN
                result := result || q;
            END IF;
            p := q;
            dp := dq;
        END LOOP;
    END LOOP;
    RETURN result;
END $$;

-- The polygon of n vertices inscribed in a circle (flat unit vectors).
CREATE OR REPLACE FUNCTION soxs_adql._circle_flat(circ double precision[], n integer)
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    c double precision[] := soxs_adql._vec(circ[1], circ[2]);
    r double precision := radians(circ[3]);
    basis double precision[] := soxs_adql._tangent_basis(c);
    e1 double precision[] := basis[1:3];
    e2 double precision[] := basis[4:6];
    t double precision;
    result double precision[] := '{}';
    k integer;
BEGIN
    FOR k IN 0 .. n - 1 LOOP
        t := 2 * pi() * k / n;
        result := result || ARRAY[
            cos(r) * c[1] + sin(r) * (cos(t) * e1[1] + sin(t) * e2[1]),
            cos(r) * c[2] + sin(r) * (cos(t) * e1[2] + sin(t) * e2[2]),
            cos(r) * c[3] + sin(r) * (cos(t) * e1[3] + sin(t) * e2[3])];
    END LOOP;
    RETURN result;
END $$;

-- Area (square degrees) of the overlap of two spherical caps, exact (Gauss-Bonnet on the
-- lens: 2 (pi - gamma) - 2 b1 cos r1 - 2 b2 cos r2, gamma the angle between the radii to a
-- corner, b1, b2 the half-angles of the arcs seen from each centre).
CREATE OR REPLACE FUNCTION soxs_adql._cap_overlap(a double precision[], b double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    d double precision := radians(soxs_adql._angle(soxs_adql._vec(a[1], a[2]),
                                                   soxs_adql._vec(b[1], b[2])));
    r1 double precision := radians(a[3]);
    r2 double precision := radians(b[3]);
    b1 double precision;
    b2 double precision;
    g double precision;
BEGIN
    IF d >= r1 + r2 THEN
        RETURN 0;
    ELSIF d <= abs(r1 - r2) THEN
        RETURN soxs_adql.area(CASE WHEN r1 <= r2 THEN a ELSE b END);
    END IF;
    b1 := acos(greatest(-1, least(1, (cos(r2) - cos(r1) * cos(d)) / (sin(r1) * sin(d)))));
    b2 := acos(greatest(-1, least(1, (cos(r1) - cos(r2) * cos(d)) / (sin(r2) * sin(d)))));
    g := acos(greatest(-1, least(1, (cos(d) - cos(r1) * cos(r2)) / (sin(r1) * sin(r2)))));
    RETURN (2 * (pi() - g) - 2 * b1 * cos(r1) - 2 * b2 * cos(r2)) * (180 / pi()) ^ 2;
END $$;

-- ESO_INTERSECTION(a, b): square degrees. Exact for two circles and for two polygons of which
-- one is convex; a circle meeting a polygon is its inscribed 360-gon (at most 5.1e-5 of the
-- circle's area too small). NULL when neither polygon is convex or a circle is a hemisphere or
-- more; 0 for a point (it has no area).
CREATE OR REPLACE FUNCTION soxs_adql.intersection_area(a double precision[], b double precision[])
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000 AS $$
DECLARE
    la integer := array_length(a, 1);
    lb integer := array_length(b, 1);
    v double precision[];
BEGIN
    IF la = 2 OR lb = 2 THEN
        RETURN 0;
    ELSIF la = 3 AND lb = 3 THEN
        RETURN soxs_adql._cap_overlap(a, b);
    ELSIF la = 3 THEN
        RETURN soxs_adql.intersection_area(b, a);
    ELSIF lb = 3 THEN
        IF b[3] >= 90 THEN
            RETURN NULL;
        END IF;
        -- Few clip edges are cheaper: clip the 360-gon by a convex polygon.
        IF soxs_adql._convex(a) THEN
            v := soxs_adql._clip(soxs_adql._circle_flat(b, 360), soxs_adql._flat(a));
        ELSE
            v := soxs_adql._clip(soxs_adql._flat(a), soxs_adql._circle_flat(b, 360));
        END IF;
    ELSIF soxs_adql._convex(b) THEN
        v := soxs_adql._clip(soxs_adql._flat(a), soxs_adql._flat(b));
    ELSIF soxs_adql._convex(a) THEN
        v := soxs_adql._clip(soxs_adql._flat(b), soxs_adql._flat(a));
    ELSE
        RETURN NULL;
    END IF;
    IF coalesce(array_length(v, 1), 0) < 9 THEN
        RETURN 0;
    END IF;
    RETURN soxs_adql.area(soxs_adql._dali(v));
END $$;

-- HEALPix NESTED index of (lon, lat) at the given order (0..29). In the NESTED scheme the
-- cell of order k holding a point is its order-29 cell shifted right by 2 (29 - k) bits, so
-- this reuses soxs.hpx29 (soxsvo/db/sql/008_coverage.sql) instead of a second ang2pix.
CREATE OR REPLACE FUNCTION soxs_adql.healpix_index(
    hpx_order integer, lon double precision, lat double precision)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF hpx_order < 0 OR hpx_order > 29 THEN
        RAISE EXCEPTION 'HEALPix order must be between 0 and 29';
    END IF;
    RETURN soxs.hpx29(lon, lat) >> (2 * (29 - hpx_order));
END $$;

-- Centre [ra, dec] of a HEALPix NESTED cell.
CREATE OR REPLACE FUNCTION soxs_adql.healpix_center(hpx_order integer, ipix bigint)
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    nside bigint := 1::bigint << hpx_order;
    npface bigint := nside * nside;
    face bigint := ipix >> (2 * hpx_order);
    sub bigint := ipix & (npface - 1);
    jrll integer[] := ARRAY[2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
    jpll integer[] := ARRAY[1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];
    ix bigint := 0; iy bigint := 0; jr bigint; nr bigint; tmp bigint;
    z double precision; phi double precision;
    bit integer;
BEGIN
    IF hpx_order < 0 OR hpx_order > 29 OR ipix < 0 OR ipix >= 12 * npface THEN
        RAISE EXCEPTION 'invalid HEALPix order or index';
    END IF;
    FOR bit IN 0 .. hpx_order - 1 LOOP
        ix := ix | (((sub >> (2 * bit)) & 1) << bit);
        iy := iy | (((sub >> (2 * bit + 1)) & 1) << bit);
    END LOOP;
    jr := jrll[face + 1] * nside - ix - iy - 1;
    IF jr < nside THEN
        nr := jr; z := 1 - nr * nr / (3.0 * npface);
    ELSIF jr > 3 * nside THEN
        nr := 4 * nside - jr; z := nr * nr / (3.0 * npface) - 1;
    ELSE
        nr := nside; z := (2 * nside - jr) * 2.0 / (3.0 * nside);
    END IF;
    tmp := jpll[face + 1] * nr + ix - iy;
    IF tmp < 0 THEN tmp := tmp + 8 * nr; END IF;
    phi := (pi() / 4) * tmp / nr;
    RETURN ARRAY[mod(cast(degrees(phi) AS numeric), 360)::double precision, degrees(asin(z))];
END $$;
GRANT USAGE ON SCHEMA soxs_adql TO PUBLIC;
