-- Least privilege. The schema owner runs the migrations; the sink writes as a member of
-- `mpipe_writer`, which may insert into `series` and `samples` (and move a series'
-- `samples_until` on), keep its offsets in `sink_offsets`, and create, index and drop the
-- partitions of `samples` through the functions below; nothing else. The exporter's history tier
-- and Grafana read as members of `mpipe_reader`: SELECT only.
--
-- The partition functions run with the owner's rights (SECURITY DEFINER), since only a table's
-- owner may add or drop its partitions, with a search_path of this schema then pg_temp (so a temp
-- table of a caller's cannot stand in for one of ours), and only the writers may call them. A
-- partition gets the privileges `samples` has when it is created; sync_sample_partition_grants()
-- gives them to the partitions that exist (the README's role set-up calls it).
--
-- The two group roles are created here when the migrating role may create roles (a superuser,
-- local mode, compose), and granted what they need when they exist; a deployment whose owner
-- may not create roles creates them itself and runs the grants in the README.

CREATE OR REPLACE FUNCTION ensure_sample_partition(part_name text, from_ts timestamptz, to_ts timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sample_partitions WHERE name = part_name) THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('sample_partitions'), hashtext(part_name));
    IF EXISTS (SELECT 1 FROM sample_partitions WHERE name = part_name) THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF samples FOR VALUES FROM (%L) TO (%L)',
                   part_name, from_ts, to_ts);
    INSERT INTO sample_partitions (name, from_ts, to_ts) VALUES (part_name, from_ts, to_ts);
    PERFORM grant_like_samples(part_name);
    RETURN true;
END
$$;

-- Gives the partition `part_name` the privileges granted on `samples`.
CREATE FUNCTION grant_like_samples(part_name text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT a.privilege_type,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS who
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'samples'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, part_name, g.who);
    END LOOP;
END
$$;

-- Gives every partition of `samples` the privileges granted on `samples`; returns how many.
CREATE FUNCTION sync_sample_partition_grants()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    n integer := 0;
BEGIN
    FOR p IN SELECT name FROM sample_partitions WHERE to_regclass(quote_ident(name)) IS NOT NULL LOOP
        PERFORM grant_like_samples(p.name);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

DO $$
DECLARE
    f text;
    may_create boolean;
BEGIN
    FOREACH f IN ARRAY ARRAY['ensure_sample_partition(text, timestamptz, timestamptz)',
                             'drop_sample_partitions_before(timestamptz)',
                             'index_sample_partition(text)',
                             'delete_unused_series(integer)',
                             'grant_like_samples(text)',
                             'sync_sample_partition_grants()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;

    SELECT rolsuper OR rolcreaterole INTO may_create FROM pg_roles WHERE rolname = current_user;
    IF may_create THEN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mpipe_writer') THEN
            CREATE ROLE mpipe_writer NOLOGIN;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mpipe_reader') THEN
            CREATE ROLE mpipe_reader NOLOGIN;
        END IF;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mpipe_writer') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO mpipe_writer', current_schema());
        BEGIN
            -- the staging table of the de-duplicating path is a temp table
            EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO mpipe_writer', current_database());
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grant TEMPORARY on database % to mpipe_writer yourself (the sink needs it)',
                current_database();
        END;
        GRANT SELECT, INSERT ON series TO mpipe_writer;
        GRANT UPDATE (samples_until) ON series TO mpipe_writer;
        GRANT USAGE ON SEQUENCE series_id_seq TO mpipe_writer;
        GRANT SELECT, INSERT ON samples TO mpipe_writer;
        GRANT SELECT ON sample_partitions TO mpipe_writer;
        GRANT SELECT, INSERT, UPDATE ON sink_offsets TO mpipe_writer;
        FOREACH f IN ARRAY ARRAY['ensure_sample_partition(text, timestamptz, timestamptz)',
                                 'drop_sample_partitions_before(timestamptz)',
                                 'index_sample_partition(text)',
                                 'delete_unused_series(integer)'] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO mpipe_writer', f);
        END LOOP;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mpipe_reader') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO mpipe_reader', current_schema());
        GRANT SELECT ON series, samples, sample_partitions, metrics TO mpipe_reader;
    END IF;
    PERFORM sync_sample_partition_grants();
END
$$;
