package io.mpipe.common.wire;

import io.mpipe.common.metric.Metric;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde for record values in the {@linkplain MetricJson wire format}. */
public final class MetricSerde implements Serde<Metric> {

    /** Serializer: {@link MetricJson#encode}. */
    public static final class MetricSerializer implements Serializer<Metric> {
        @Override
        public byte[] serialize(String topic, Metric data) {
            return data == null ? null : MetricJson.encode(data);
        }
    }

    /** Deserializer: {@link MetricJson#decode}; throws {@link MetricDecodeException}. */
    public static final class MetricDeserializer implements Deserializer<Metric> {
        @Override
        public Metric deserialize(String topic, byte[] data) {
            return MetricJson.decode(data);
        }
    }

    @Override
    public Serializer<Metric> serializer() {
        return new MetricSerializer();
    }

    @Override
    public Deserializer<Metric> deserializer() {
        return new MetricDeserializer();
    }
}
