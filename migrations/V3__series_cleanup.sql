-- Series clean-up: a series whose samples have all been dropped by retention is deleted, so a
-- flood of series that stopped (a label with a request id in it, a bad deploy) does not stay in
-- `series` forever.
--
-- `samples_until`: every sample of the series is before this instant. The sink moves it on, in
-- a committed transaction before the samples' own, to the end of the time partition of the newest
-- sample it writes for the series (so once per series and partition, not per sample). A series
-- whose `samples_until` is at or before the start of the oldest partition that still exists has
-- no sample left. Rows inserted by hand get 'infinity' and are never deleted.
ALTER TABLE series ADD COLUMN samples_until timestamptz;
-- existing series: no sample of them is later than the newest partition's end (or now)
UPDATE series SET samples_until = GREATEST(now(), (SELECT max(to_ts) FROM sample_partitions));
ALTER TABLE series ALTER COLUMN samples_until SET DEFAULT 'infinity';
ALTER TABLE series ALTER COLUMN samples_until SET NOT NULL;

-- Deletes at most `max_rows` series with no sample left; returns how many it deleted.
--
-- Why it cannot race a sink: the share lock on `sample_partitions` keeps partitions from being
-- created or dropped while it looks, and a sink creates the partitions of a batch before it
-- inserts or moves on the batch's series, and writes their samples after. So a series the sink
-- is writing either has a `samples_until` past the start of an existing partition (not deleted),
-- or was deleted before the sink's update of it, which then finds no row and inserts the series
-- again (the update and the delete take the row's lock in turn). Only a sample written into a
-- partition that retention dropped and the sink created again in the same moment can lose its
-- series; such a sample is past retention, and its partition goes at the next maintenance run.
CREATE FUNCTION delete_unused_series(max_rows integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    oldest timestamptz;
    deleted bigint;
BEGIN
    LOCK TABLE sample_partitions IN SHARE MODE;
    SELECT coalesce(min(from_ts), 'infinity') INTO oldest FROM sample_partitions;
    DELETE FROM series WHERE id IN (SELECT id FROM series WHERE samples_until <= oldest LIMIT max_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;
