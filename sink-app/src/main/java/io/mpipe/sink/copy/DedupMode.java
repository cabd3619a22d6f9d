package io.mpipe.sink.copy;

/**
 * How a batch skips samples that are already stored. Both keep the guarantee (a sample is stored
 * once per series and timestamp); they differ in speed, measured by {@code bench sink}.
 */
public enum DedupMode {
    /**
     * COPY straight into {@code samples}; only when that hits an existing sample, roll back and
     * take the staging path. The common case (new data) runs at raw COPY speed.
     */
    OPTIMISTIC,
    /** Always COPY into a temporary table, then {@code INSERT ... ON CONFLICT DO NOTHING}. */
    STAGING
}
