-- Schema of the metrics store. Shaped by measurement (see BENCHMARKS.md and DESIGN):
-- a GIN index on every sample row costs 4-6x in load speed, so labels live once per series in
-- `series` (GIN there), and `samples` is narrow: (series_id, ts, value), partitioned by time.
-- Retention drops whole partitions. The `metrics` view gives the wide shape users query.

CREATE TABLE series (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- canonical series key: name{k1="v1",k2="v2"}, labels sorted, Prometheus escaping
    key        text        NOT NULL UNIQUE,
    name       text        NOT NULL,
    labels     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX series_name_idx ON series (name);
CREATE INDEX series_labels_idx ON series USING gin (labels jsonb_path_ops);

-- One row per sample; a sample is unique per (series, timestamp), which is what makes a replay
-- of the same data add nothing. The primary key is the (series_id, ts) btree.
CREATE TABLE samples (
    series_id bigint           NOT NULL,
    ts        timestamptz      NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);

-- Every partition of `samples` and the time range it holds, so retention can drop by range.
CREATE TABLE sample_partitions (
    name      text        PRIMARY KEY,
    from_ts   timestamptz NOT NULL,
    to_ts     timestamptz NOT NULL,
    CHECK (from_ts < to_ts)
);

-- Creates the partition [from_ts, to_ts) unless it exists. Safe to call concurrently from
-- several sink instances: creation is serialised by an advisory lock per partition name.
CREATE FUNCTION ensure_sample_partition(part_name text, from_ts timestamptz, to_ts timestamptz)
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
    RETURN true;
END
$$;

-- Drops every partition that ends at or before `cutoff`; returns the names dropped.
CREATE FUNCTION drop_sample_partitions_before(cutoff timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT name FROM sample_partitions WHERE to_ts <= cutoff ORDER BY from_ts LOOP
        PERFORM pg_advisory_xact_lock(hashtext('sample_partitions'), hashtext(p.name));
        EXECUTE format('DROP TABLE IF EXISTS %I', p.name);
        DELETE FROM sample_partitions WHERE name = p.name;
        RETURN NEXT p.name;
    END LOOP;
END
$$;

-- The wide shape of DESIGN's SQL contract.
CREATE VIEW metrics AS
SELECT s.name, p.ts, p.value, s.labels
FROM samples p
JOIN series s ON s.id = p.series_id;

-- Where each sink consumer group has got to, stored in the same transaction as the rows.
CREATE TABLE sink_offsets (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
