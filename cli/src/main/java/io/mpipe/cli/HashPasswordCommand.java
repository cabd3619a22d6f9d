package io.mpipe.cli;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.Secret;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/pipeline hash-password USER}: a line for {@code <service>.http.auth.basic-users-file},
 * as {@code htpasswd -nB USER} writes it, for machines without htpasswd (the image).
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = {"Print USER:bcrypt-hash for <service>.http.auth.basic-users-file, as htpasswd -nB does.",
            "The password is read from the first line of standard input (echo -n ... | or < file)."})
final class HashPasswordCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "USER", description = "The user name.")
    String user;

    @Option(names = "--cost", paramLabel = "N", defaultValue = "10",
            description = "bcrypt's cost (rounds are 2^N; default ${DEFAULT-VALUE}, as htpasswd's).")
    int cost;

    @Override
    public Integer call() throws IOException {
        if (user.isEmpty() || user.contains(":")) {
            throw new ConfigException("USER: '" + user + "' must be a name without ':'");
        }
        if (cost < 4 || cost > 31) {
            throw new ConfigException("--cost: " + cost + " is out of range [4, 31]");
        }
        String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (password == null || password.isEmpty()) {
            throw new ConfigException("the password: none on standard input");
        }
        Secret.checkNotPlaceholder("the password", password);
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        System.out.println(user + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, cost));
        return Pipeline.OK;
    }
}
