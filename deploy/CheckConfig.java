import io.mpipe.collector.CollectorConfig;
import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.ConfigSource;
import io.mpipe.exporter.ExporterConfig;
import io.mpipe.sink.SinkConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a config file the way the collector, the sink and the exporter do, and fails on any
 * problem they would refuse to start with. Run by deploy/check.sh against deploy/config.yaml:
 * java -cp "cli/target/mpipe-cli.jar:cli/target/lib/*" deploy/CheckConfig.java deploy/config.yaml
 */
public final class CheckConfig {
    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        // As docker-compose.yml runs the services: the defaults, then with the Hedera sources on.
        List<Map<String, String>> envs = List.of(
                Map.of("POSTGRES_PASSWORD", "check"),
                Map.of("POSTGRES_PASSWORD", "check", "HEDERA_ENABLED", "true", "HEDERA_NETWORK", "testnet"));
        int failed = 0;
        for (Map<String, String> env : envs) {
            Map<String, String> e = new HashMap<>(env);
            failed += check("collector", e, () -> CollectorConfig.load(ConfigSource.load(file, e)));
            failed += check("sink", e, () -> SinkConfig.load(ConfigSource.load(file, e)));
            failed += check("exporter", e, () -> ExporterConfig.load(ConfigSource.load(file, e)));
        }
        if (failed > 0) {
            System.exit(1);
        }
    }

    private static int check(String service, Map<String, String> env, Runnable load) {
        try {
            load.run();
            System.out.println(service + ": ok with " + env.keySet());
            return 0;
        } catch (ConfigException ex) {
            System.out.println(service + ": " + ex.getMessage());
            return 1;
        }
    }
}
