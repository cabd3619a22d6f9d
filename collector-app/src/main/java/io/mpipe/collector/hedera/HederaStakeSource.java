package io.mpipe.collector.hedera;

import com.fasterxml.jackson.databind.JsonNode;
import io.mpipe.common.metric.Metric;
import java.time.Duration;
import java.util.List;

/**
 * {@code GET /api/v1/network/stake}: {@code hedera_network_stake_total_tinybars},
 * {@code hedera_network_staking_reward_rate} and
 * {@code hedera_network_max_staking_reward_rate_per_hbar}, as the API reports them (int64).
 */
final class HederaStakeSource extends MirrorSource {
    static final String NAME = "hedera_stake";
    static final String PATH = "/api/v1/network/stake";

    /** Network staking figures of the last staking period. */
    record NetworkStake(long stakeTotal, long stakingRewardRate, long maxStakingRewardRatePerHbar) {
        static NetworkStake parse(JsonNode body) throws BadResponseException {
            return new NetworkStake(MirrorJson.int64(body, "stake_total"),
                    MirrorJson.int64(body, "staking_reward_rate"),
                    MirrorJson.int64(body, "max_staking_reward_rate_per_hbar"));
        }
    }


    HederaStakeSource(MirrorNodeClient client, String network, Duration interval) {
        super(NAME, client, network, interval);
    }

    @Override
    public List<Metric> poll(long nowMillis) throws MirrorNodeException, InterruptedException {
        NetworkStake stake = client.get(NAME, PATH, NetworkStake::parse);
        return new Samples(network, nowMillis)
                .add("hedera_network_stake_total_tinybars", stake.stakeTotal())
                .add("hedera_network_staking_reward_rate", stake.stakingRewardRate())
                .add("hedera_network_max_staking_reward_rate_per_hbar", stake.maxStakingRewardRatePerHbar())
                .toList();
    }
}
