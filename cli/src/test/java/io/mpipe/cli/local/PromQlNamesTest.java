package io.mpipe.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlNamesTest {

    @Test
    void shouldFindMetricNamesButNotFunctionsLabelsOrVariables() {
        assertThat(PromQlNames.of("histogram_quantile(0.99, sum by (le) (rate(sink_commit_duration_seconds_bucket"
                + "{job=\"sink\"}[$__rate_interval])))")).containsExactly("sink_commit_duration_seconds_bucket");
        assertThat(PromQlNames.of("sum(kafka_consumergroup_group_lag{group=~\"$group\"}) by (topic) > 1e5"))
                .containsExactly("kafka_consumergroup_group_lag");
        assertThat(PromQlNames.of("exporter_store_hits_total / (exporter_store_hits_total + exporter_store_misses_total)"
                + " and on (instance) exporter_ready == 1")).containsExactly("exporter_ready",
                "exporter_store_hits_total", "exporter_store_misses_total");
        assertThat(PromQlNames.of("absent(sink_up) or time() - exporter_lag_last_poll_timestamp_seconds > 60"))
                .containsExactly("exporter_lag_last_poll_timestamp_seconds", "sink_up");
        assertThat(PromQlNames.of("increase(hedera_account_transactions_total[5m] offset 1h)"))
                .containsExactly("hedera_account_transactions_total");
    }
}
