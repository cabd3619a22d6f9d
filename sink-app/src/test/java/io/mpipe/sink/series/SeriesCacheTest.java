package io.mpipe.sink.series;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeriesCacheTest {

    @Test
    void shouldEvictTheLeastRecentlyUsedAndCountHitsAndMisses() {
        SeriesCache c = new SeriesCache(2);
        c.put("a", 1);
        c.put("b", 2);
        assertThat(c.get("a")).isEqualTo(1); // a is now the most recent
        c.put("c", 3); // evicts b
        assertThat(c.get("b")).isEqualTo(-1);
        assertThat(c.get("a")).isEqualTo(1);
        assertThat(c.get("c")).isEqualTo(3);
        assertThat(c.size()).isEqualTo(2);
        assertThat(c.hits()).isEqualTo(3);
        assertThat(c.misses()).isEqualTo(1);
    }
}
