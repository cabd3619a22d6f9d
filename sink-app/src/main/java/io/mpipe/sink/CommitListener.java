package io.mpipe.sink;

import io.mpipe.sink.batch.Batch;
import io.mpipe.sink.copy.WriteResult;

/** Hears of every committed batch, on the sink's loop thread (benchmarks time the rows with it). */
@FunctionalInterface
public interface CommitListener {
    CommitListener NONE = (batch, result) -> { };

    void committed(Batch batch, WriteResult result);
}
