package io.mpipe.collector.remotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mpipe.common.http.HttpError;
import io.mpipe.common.metric.Metric;
import io.mpipe.common.prompb.Remote;
import io.mpipe.common.prompb.Types;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

/** How a remote write body becomes metrics, and what is refused with which reason. */
class RemoteWriteReceiverTest {
    private static final long MAX_DECODED = 1 << 20;

    private static Types.Label label(String n, String v) {
        return Types.Label.newBuilder().setName(n).setValue(v).build();
    }

    private static byte[] body(Types.TimeSeries... series) throws Exception {
        return Snappy.compress(Remote.WriteRequest.newBuilder().addAllTimeseries(List.of(series)).build().toByteArray());
    }

    @Test
    void shouldMakeAMetricOfEverySampleWithTheNameAndTheOtherLabels() throws Exception {
        Types.TimeSeries ts = Types.TimeSeries.newBuilder().addLabels(label("__name__", "up"))
                .addLabels(label("instance", "a:9100")).addLabels(label("job", "node"))
                .addSamples(Types.Sample.newBuilder().setValue(1).setTimestamp(1_700_000_000_000L))
                .addSamples(Types.Sample.newBuilder().setValue(Double.NaN).setTimestamp(1_700_000_015_000L))
                .addSamples(Types.Sample.newBuilder().setValue(Double.longBitsToDouble(RemoteWriteReceiver.STALE_NAN_BITS))
                        .setTimestamp(1_700_000_030_000L))
                .addHistograms(com.google.protobuf.ByteString.copyFromUtf8("h"))
                .build();
        RemoteWriteReceiver.Decoded d = RemoteWriteReceiver.decode("snappy", body(ts), 100, MAX_DECODED);
        assertThat(d.metrics()).hasSize(2);
        Metric m = d.metrics().get(0);
        assertThat(m.name()).isEqualTo("up");
        assertThat(m.labels()).containsEntry("instance", "a:9100").containsEntry("job", "node").hasSize(2);
        assertThat(m.timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(d.metrics().get(1).value()).as("a NaN value is a value").isNaN();
        assertThat(d.seriesKeys()).containsOnly("up{instance=\"a:9100\",job=\"node\"}");
        assertThat(d.staleMarkers()).as("the staleness marker says the series ended: not stored").isEqualTo(1);
        assertThat(d.histograms()).isEqualTo(1);
    }

    @Test
    void shouldRefuseWhatIsNotARemoteWriteBodyOrBreaksTheRulesNamingWhy() throws Exception {
        Types.Sample s = Types.Sample.newBuilder().setValue(1).setTimestamp(1_700_000_000_000L).build();
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, "plain".getBytes(), 100, MAX_DECODED))
                .isInstanceOf(HttpError.class).hasMessageContaining("not snappy");
        assertThatThrownBy(() -> RemoteWriteReceiver.decode("gzip", body(), 100, MAX_DECODED))
                .hasMessageContaining("Content-Encoding");
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, Snappy.compress(new byte[] {(byte) 0xff, 1, 2}), 100,
                MAX_DECODED)).hasMessageContaining("not a protobuf prometheus.WriteRequest");
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, body(Types.TimeSeries.newBuilder()
                .addLabels(label("job", "x")).addSamples(s).build()), 100, MAX_DECODED))
                .hasMessageContaining("timeseries[0] {job=\"x\"}: name: the series has no __name__ label");
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, body(Types.TimeSeries.newBuilder()
                .addLabels(label("__name__", "ok")).addLabels(label("bad-name", "x")).addSamples(s).build()), 100,
                MAX_DECODED)).hasMessageContaining("labels.bad-name: label name does not match");
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, body(Types.TimeSeries.newBuilder()
                .addLabels(label("__name__", "ok")).addSamples(Types.Sample.newBuilder().setTimestamp(-5)).build()),
                100, MAX_DECODED)).hasMessageContaining("timestamp");
        Types.TimeSeries many = Types.TimeSeries.newBuilder().addLabels(label("__name__", "ok"))
                .addAllSamples(java.util.Collections.nCopies(101, s)).build();
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, body(many), 100, MAX_DECODED))
                .hasMessageContaining("max-samples-per-request (100)");
        byte[] bomb = Snappy.compress(new byte[(int) MAX_DECODED + 1]);
        assertThatThrownBy(() -> RemoteWriteReceiver.decode(null, bomb, 100, MAX_DECODED))
                .hasMessageContaining("uncompresses to");
        assertThat(RemoteWriteReceiver.decode(null, body(), 100, MAX_DECODED).metrics()).isEmpty();
    }

    @Test
    void shouldTakeRemoteWrite1AndTell2ItIsNotTaken() {
        RemoteWriteReceiver.checkContentType(null);
        RemoteWriteReceiver.checkContentType("application/x-protobuf");
        RemoteWriteReceiver.checkContentType("application/x-protobuf;proto=prometheus.WriteRequest");
        assertThatThrownBy(() -> RemoteWriteReceiver.checkContentType(
                "application/x-protobuf; proto=io.prometheus.write.v2.Request"))
                .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(415))
                .hasMessageContaining("io.prometheus.write.v2.Request");
    }

    @Test
    void shouldTakeSamplesAtTheConfiguredRateWholeRequestsAtATime() {
        RateLimit limit = new RateLimit(1_000);
        assertThat(limit.tryTake(600)).isTrue();
        assertThat(limit.tryTake(600)).as("400 left in the bucket").isFalse();
        assertThat(limit.tryTake(400)).isTrue();
        RateLimit small = new RateLimit(10);
        assertThat(small.tryTake(50)).as("a request bigger than a second's worth passes a full bucket").isTrue();
        assertThat(small.tryTake(1)).isFalse();
        RateLimit back = new RateLimit(100);
        assertThat(back.tryTake(100)).isTrue();
        back.giveBack(100);
        assertThat(back.tryTake(100)).as("a refused request's samples are given back").isTrue();
    }
}
