package io.mpipe.exporter.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCountTest {
    @Test
    void shouldSumEveryCellAndKeepTheCountOfClosedOnes() throws InterruptedException {
        RecordCount count = new RecordCount();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            RecordCount.Cell cell = count.cell();
            int n = 100_000 * (t + 1);
            boolean close = t % 2 == 0;
            threads.add(new Thread(() -> {
                for (int i = 0; i < n; i++) {
                    cell.increment();
                }
                if (close) {
                    cell.close();
                    cell.close(); // twice is once
                }
            }));
        }
        long seen = 0;
        threads.forEach(Thread::start);
        for (int i = 0; i < 1_000; i++) {
            long now = count.get();
            assertThat(now).isGreaterThanOrEqualTo(seen); // never goes back, closing included
            seen = now;
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(count.get()).isEqualTo(1_000_000);
        count.cell().increment();
        assertThat(count.get()).isEqualTo(1_000_001);
    }
}
