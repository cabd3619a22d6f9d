-- Fencing: which sink instance holds each partition, as far as PostgreSQL is concerned.
--
-- A sink claims the partitions Kafka assigns it (it sets `owner` when it reads their offsets),
-- and every batch it commits first locks its partitions' rows and checks that it is still the
-- owner and that nobody has stored past where the batch starts. A sink cut off from the group
-- (a zombie: its session expired, another sink took its partitions and claimed them) that comes
-- back with a batch in hand is refused, and goes back to what PostgreSQL holds. NULL: no sink has
-- claimed the partition since this migration.
ALTER TABLE sink_offsets ADD COLUMN owner text;
