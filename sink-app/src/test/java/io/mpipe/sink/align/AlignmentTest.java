package io.mpipe.sink.align;

import static org.assertj.core.api.Assertions.assertThat;

import io.mpipe.sink.align.Alignment.HandOff;
import io.mpipe.sink.align.Alignment.PartitionState;
import io.mpipe.sink.align.Alignment.Plan;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The sink's time-order rules, rule by rule, without a consumer. */
class AlignmentTest {
    private static final long NOW = 1_000_000_000L;
    private static final long MAX = Long.MAX_VALUE;
    private static final long NOT_READ = Alignment.NOT_READ;
    private static final int MAX_POLL = 500;

    private static TopicPartition p(int n) {
        return new TopicPartition("t", n);
    }

    /** A partition sought and read to {@code newest}, {@code idleMs} ago, with {@code lag} records waiting. */
    private static PartitionState read(int n, long newest, long idleMs, long lag) {
        return PartitionState.of(p(n), newest, NOW - idleMs, lag);
    }

    /** A partition sought {@code idleMs} ago and not read since; {@code lag} -1 when not known yet. */
    private static PartitionState notRead(int n, long idleMs, long lag) {
        return new PartitionState(p(n), true, NOT_READ, NOW - idleMs, lag < 0 ? OptionalLong.empty() : OptionalLong.of(lag));
    }

    /** Assigned but not sought yet: counts for the records waiting only. */
    private static PartitionState unsought(int n, long lag) {
        return new PartitionState(p(n), false, NOT_READ, 0, OptionalLong.of(lag));
    }

    private static Set<TopicPartition> ps(int... ns) {
        return Arrays.stream(ns).mapToObj(AlignmentTest::p).collect(Collectors.toSet());
    }

    static Stream<Arguments> plans() {
        long t = 5_000_000L;
        return Stream.of(
                // rule, partitions, writer bound, then: watermark, behind, paused for running ahead
                Arguments.of("no partitions: no watermark, nothing paused",
                        List.of(), false, MAX, false, ps()),
                Arguments.of("the watermark is the slowest active partition's newest time",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 100, 10, 0), read(2, t + 200, 10, 0)),
                        false, t + 100, false, ps()),
                Arguments.of("keeping up (few records waiting, the writer not the limit): nothing paused",
                        List.of(read(0, t + 300, 10, 100), read(1, t + 100, 10, 100)),
                        false, t + 100, false, ps()),
                Arguments.of("a poll's worth waiting: behind, and the partitions ahead by more than the slack pause",
                        List.of(read(0, t + 300, 10, 300), read(1, t + 100, 10, 300), read(2, t + 110, 10, 0)),
                        false, t + 100, true, ps(0)),
                Arguments.of("the writer is the limit: behind even with nothing waiting",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 100, 10, 0)),
                        true, t + 100, true, ps(0)),
                Arguments.of("ahead by exactly the slack: not paused",
                        List.of(read(0, t + 100 + Alignment.AHEAD_SLACK_MS, 10, 0), read(1, t + 100, 10, 0)),
                        true, t + 100, true, ps()),
                Arguments.of("idle longer than ACTIVE with nothing waiting: no longer holds the others back",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 100, Alignment.ACTIVE.toMillis() + 1, 0)),
                        true, t + 300, true, ps()),
                Arguments.of("idle longer than ACTIVE but records known to wait: still holds them (up to ALIGN_WINDOW)",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 100, Alignment.ACTIVE.toMillis() + 1, 5)),
                        true, t + 100, true, ps(0)),
                Arguments.of("records waiting but not read for longer than ALIGN_WINDOW: idle after all",
                        List.of(read(0, t + 300, 10, 0),
                                read(1, t + 100, Alignment.ALIGN_WINDOW.toMillis() + 1, 5)),
                        true, t + 300, true, ps()),
                Arguments.of("a partition more than ALIGN_WINDOW behind the newest is a stream of its own",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 200, 10, 0),
                                read(2, t - Alignment.ALIGN_WINDOW.toMillis() - 1, 10, 0)),
                        true, t + 200, true, ps(0)),
                Arguments.of("just within ALIGN_WINDOW: still aligned with",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 300 - Alignment.ALIGN_WINDOW.toMillis(), 10, 0)),
                        true, t + 300 - Alignment.ALIGN_WINDOW.toMillis(), true, ps(0)),
                Arguments.of("sought, not read yet, records waiting: it has reached no time, so nothing goes yet",
                        List.of(read(0, t + 300, 10, 0), notRead(1, 10, 50)),
                        true, NOT_READ, true, ps(0)),
                Arguments.of("sought, lag not known yet (no fetch came up): counts as waiting within ACTIVE",
                        List.of(read(0, t + 300, 10, 0), notRead(1, Alignment.ACTIVE.toMillis(), -1)),
                        true, NOT_READ, true, ps(0)),
                Arguments.of("sought, lag still not known after ACTIVE: stops holding the others",
                        List.of(read(0, t + 300, 10, 0), notRead(1, Alignment.ACTIVE.toMillis() + 1, -1)),
                        true, t + 300, true, ps()),
                Arguments.of("sought, not read, nothing waiting: idle from the start",
                        List.of(read(0, t + 300, 10, 0), notRead(1, 10, 0)),
                        true, t + 300, true, ps()),
                Arguments.of("a partition not sought yet counts for the records waiting only",
                        List.of(read(0, t + 300, 10, 0), read(1, t + 100, 10, 0), unsought(2, MAX_POLL)),
                        false, t + 100, true, ps(0)),
                Arguments.of("records waiting add up over partitions",
                        List.of(read(0, t + 300, 10, MAX_POLL / 2), read(1, t + 100, 10, MAX_POLL / 2)),
                        false, t + 100, true, ps(0)),
                Arguments.of("one fewer than a poll's worth waiting: not behind",
                        List.of(read(0, t + 300, 10, MAX_POLL / 2), read(1, t + 100, 10, MAX_POLL / 2 - 1)),
                        false, t + 100, false, ps()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void shouldPlanByTheRules(String rule, List<PartitionState> partitions, boolean writerBound, long watermark,
            boolean behind, Set<TopicPartition> ahead) {
        Plan plan = Alignment.plan(NOW, partitions, writerBound, MAX_POLL);
        assertThat(plan.watermark()).as("watermark").isEqualTo(watermark);
        assertThat(plan.behind()).as("behind").isEqualTo(behind);
        assertThat(plan.ahead()).as("paused for running ahead").isEqualTo(ahead);
    }

    @org.junit.jupiter.api.Test
    void shouldStopPausingPartitionsThisSinkNoLongerHolds() {
        Plan plan = new Plan(100, true, ps(0, 1));
        assertThat(plan.without(List.of(p(1))).ahead()).isEqualTo(ps(0));
        assertThat(plan.without(List.of(p(1))).watermark()).isEqualTo(100);
    }

    static Stream<Arguments> handOffs() {
        Plan keepingUp = new Plan(100, false, Set.of());
        Plan behind = new Plan(100, true, Set.of());
        Plan noWatermark = new Plan(MAX, true, Set.of());
        int maxRows = 1000;
        return Stream.of(
                // rule, plan, cut, rows, closed, held at this watermark, rows up to the watermark, then: action
                Arguments.of("a small batch under light load goes whole, however far it runs ahead",
                        keepingUp, true, 249, false, false, 10, HandOff.WHOLE),
                Arguments.of("a quarter of max-rows under light load is cut at the watermark",
                        keepingUp, true, 250, false, false, 10, HandOff.CUT),
                Arguments.of("under light load, a batch entirely past the watermark goes whole",
                        keepingUp, true, 500, false, false, 0, HandOff.WHOLE),
                Arguments.of("behind, any batch is cut",
                        behind, true, 5, false, false, 2, HandOff.CUT),
                Arguments.of("behind, a batch entirely past the watermark is held for the slowest partition",
                        behind, true, 5, false, false, 0, HandOff.HOLD),
                Arguments.of("held at this watermark and still behind: still held, whatever came since",
                        behind, true, 7, false, true, 2, HandOff.HOLD),
                Arguments.of("held, and the watermark moved: cut at the new one",
                        behind, true, 7, false, false, 2, HandOff.CUT),
                Arguments.of("every row at or before the watermark: whole",
                        behind, true, 5, false, false, 5, HandOff.WHOLE),
                Arguments.of("no active partition, no watermark: whole",
                        noWatermark, true, 500, false, false, 0, HandOff.WHOLE),
                Arguments.of("a closed batch (a record deferred for its time partition) goes whole",
                        behind, true, 500, true, false, 0, HandOff.WHOLE),
                Arguments.of("not to be cut (the last batch at shutdown): whole",
                        behind, false, 500, false, true, 0, HandOff.WHOLE),
                Arguments.of("an empty batch: whole",
                        behind, true, 0, false, false, 0, HandOff.WHOLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handOffs")
    void shouldHandOffByTheRules(String rule, Plan plan, boolean cut, int rows, boolean closed,
            boolean heldAtThisWatermark, int rowsUpToWatermark, HandOff expected) {
        HandOff got = Alignment.handOff(plan, cut, rows, 1000, closed, heldAtThisWatermark, ts -> {
            assertThat(ts).as("asked for the rows up to the watermark").isEqualTo(plan.watermark());
            return rowsUpToWatermark;
        });
        assertThat(got).isEqualTo(expected);
    }
}
