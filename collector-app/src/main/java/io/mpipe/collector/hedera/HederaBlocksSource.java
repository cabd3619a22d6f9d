package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/blocks?limit=<tps-blocks>&order=desc} (one page: the newest blocks):
 * <ul>
 *   <li>{@code hedera_block_number}: the newest block's number;</li>
 *   <li>{@code hedera_block_lag_seconds}: the poll time minus the newest block's {@code timestamp.to},
 *       how far the mirror node is behind;</li>
 *   <li>{@code hedera_network_tps}: the transactions ({@code count}) of all the blocks divided by the
 *       time they span, from the oldest block's {@code timestamp.from} to the newest's
 *       {@code timestamp.to}. Not emitted when that span is not positive.</li>
 * </ul>
 * Newest and oldest are by block number, whatever order the blocks come in. No blocks at all (a
 * new network) gives no metrics; it is not an error.
 */
final class HederaBlocksSource extends MirrorSource {
    private static final Logger log = LoggerFactory.getLogger(HederaBlocksSource.class);

    static final String NAME = "hedera_blocks";

    /** One record file: its number, transaction count and consensus time range. */
    record Block(long number, long count, BigDecimal from, BigDecimal to) {
        Block {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }

        static List<Block> parseAll(JsonNode body) throws BadResponseException {
            List<JsonNode> blocks = MirrorJson.array(body, "blocks");
            List<Block> out = new ArrayList<>(blocks.size());
            for (int i = 0; i < blocks.size(); i++) {
                try {
                    JsonNode b = blocks.get(i);
                    long count = MirrorJson.int64(b, "count");
                    if (count < 0) {
                        throw new BadResponseException("count: expected a count, got " + count);
                    }
                    JsonNode ts = MirrorJson.object(b, "timestamp");
                    BigDecimal from;
                    BigDecimal to;
                    try {
                        from = MirrorJson.timestamp(ts, "from");
                        to = MirrorJson.timestamp(ts, "to");
                    } catch (BadResponseException e) {
                        throw e.within("timestamp");
                    }
                    out.add(new Block(MirrorJson.int64(b, "number"), count, from, to));
                } catch (BadResponseException e) {
                    throw e.within("blocks[" + i + "]");
                }
            }
            return out;
        }
    }

    private final String path;

    HederaBlocksSource(MirrorNodeClient client, String network, Duration interval, int tpsBlocks) {
        super(NAME, client, network, interval);
        if (tpsBlocks < 1) {
            throw new IllegalArgumentException("tpsBlocks must be at least 1: " + tpsBlocks);
        }
        this.path = "/api/v1/blocks?limit=" + tpsBlocks + "&order=desc";
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        List<Block> blocks = client.get(NAME, path, Block::parseAll);
        Samples out = new Samples(network, nowMillis);
        if (blocks.isEmpty()) {
            log.debug("mirror node: {} lists no blocks", path);
            return out.toList();
        }
        Block newest = blocks.stream().max(Comparator.comparingLong(Block::number)).orElseThrow();
        Block oldest = blocks.stream().min(Comparator.comparingLong(Block::number)).orElseThrow();
        out.add("hedera_block_number", newest.number());
        out.add("hedera_block_lag_seconds", BigDecimal.valueOf(nowMillis, 3).subtract(newest.to()).doubleValue());
        BigDecimal span = newest.to().subtract(oldest.from());
        if (span.signum() > 0) {
            long transactions = blocks.stream().mapToLong(Block::count).sum();
            out.add("hedera_network_tps",
                    BigDecimal.valueOf(transactions).divide(span, MathContext.DECIMAL128).doubleValue());
        } else {
            log.debug("mirror node: blocks {}..{} span {} s; no TPS this time", oldest.number(), newest.number(), span);
        }
        return out.toList();
    }
}
