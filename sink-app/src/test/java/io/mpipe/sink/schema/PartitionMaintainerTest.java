package io.mpipe.sink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PartitionMaintainerTest {

    @Test
    void shouldAlignDailyPartitionsToUtcMidnight() {
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        long ts = Instant.parse("2026-11-27T13:45:00Z").toEpochMilli();
        long start = p.partitionStart(ts);
        assertThat(Instant.ofEpochMilli(start)).isEqualTo(Instant.parse("2026-11-27T00:00:00Z"));
        assertThat(p.partitionName(start)).isEqualTo("samples_20261127");
    }

    @Test
    void shouldNameHourlyPartitionsWithTheHour() {
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofHours(6));
        long start = p.partitionStart(Instant.parse("2026-11-27T13:45:00Z").toEpochMilli());
        assertThat(p.partitionName(start)).isEqualTo("samples_20261127_12");
    }

    @Test
    void shouldHandleTheEpochAndOldTimes() {
        PartitionMaintainer p = new PartitionMaintainer(Duration.ofDays(1));
        assertThat(p.partitionName(p.partitionStart(0))).isEqualTo("samples_19700101");
    }

    @Test
    void shouldRefuseIntervalsThatDoNotTileADay() {
        assertThat(PartitionMaintainer.validInterval(Duration.ofHours(5))).isFalse();
        assertThat(PartitionMaintainer.validInterval(Duration.ofMinutes(90))).isFalse();
        assertThat(PartitionMaintainer.validInterval(Duration.ofDays(7))).isTrue();
        assertThatThrownBy(() -> new PartitionMaintainer(Duration.ofHours(5))).isInstanceOf(IllegalArgumentException.class);
    }
}
