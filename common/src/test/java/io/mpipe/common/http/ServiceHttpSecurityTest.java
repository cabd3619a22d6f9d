package io.mpipe.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mpipe.common.config.ConfigSource;
import io.mpipe.common.config.HttpSettings;
import io.mpipe.testsupport.TestCerts;
import io.prometheus.client.CollectorRegistry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and authentication as real clients meet them: curl over HTTPS with basic auth, bearer tokens
 * and client certificates, users made by {@code htpasswd -B}, and a certificate rotated on disk
 * while the server runs.
 */
class ServiceHttpSecurityTest {

    /** Runs a command; returns its standard output (curl's {@code -w} code) and exit code. */
    private record Run(int exit, String out) {
    }

    private static Run run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** curl's HTTP status for {@code url}, or its exit code as a negative number when it got none. */
    private static int curl(String url, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        Run r = run(cmd);
        return r.exit() == 0 ? Integer.parseInt(r.out()) : -r.exit();
    }

    private static HttpSettings settings(String yaml) {
        return ConfigSource.parse(yaml, Map.of()).reader().read(r -> HttpSettings.read(r, "sink", 0), "sink");
    }

    private static ServiceHttpServer server(HttpSettings settings) throws Exception {
        ServiceHttpServer s = new ServiceHttpServer("test", settings, new CollectorRegistry(),
                () -> Health.up(Map.of()));
        s.route("/api/thing", ex -> Map.of("thing", 1));
        s.start();
        return s;
    }

    @Test
    void shouldAskForCredentialsOverTlsAndTakeTheRightOnes(@TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.newCa(dir, "test-ca");
        TestCerts.Issued server = certs.server("server");
        Run htpasswd = run(List.of("htpasswd", "-nbB", "alice", "right horse battery"));
        assertThat(htpasswd.exit()).as("htpasswd (Debian's apache2-utils)").isZero();
        Path users = Files.writeString(dir.resolve("users"), htpasswd.out() + "\n# a comment\n");
        Path tokens = Files.writeString(dir.resolve("tokens"), "scraper-token-0123456789abcdef\n");
        HttpSettings settings = settings("""
                sink:
                  http:
                    port: 0
                    tls:
                      cert-file: %s
                      key-file: %s
                    auth:
                      basic-users-file: %s
                      bearer-tokens-file: %s
                """.formatted(server.cert(), server.key(), users, tokens));
        try (ServiceHttpServer s = server(settings)) {
            String base = "https://127.0.0.1:" + s.port();
            assertThat(s.baseUrl()).isEqualTo(base);
            String ca = certs.ca().cert().toString();
            assertThat(curl(base + "/api/thing", "--cacert", ca)).as("no credential").isEqualTo(401);
            assertThat(curl(base + "/api/thing", "--cacert", ca, "-u", "alice:wrong")).as("bad password").isEqualTo(401);
            assertThat(curl(base + "/api/thing", "--cacert", ca, "-u", "bob:right horse battery")).as("no such user")
                    .isEqualTo(401);
            assertThat(curl(base + "/api/thing", "--cacert", ca, "-u", "alice:right horse battery")).isEqualTo(200);
            assertThat(curl(base + "/metrics", "--cacert", ca, "-u", "alice:right horse battery")).isEqualTo(200);
            assertThat(curl(base + "/metrics", "--cacert", ca)).as("/metrics is not open").isEqualTo(401);
            assertThat(curl(base + "/api/thing", "--cacert", ca, "-H", "Authorization: Bearer wrong-token-0123456789"))
                    .isEqualTo(401);
            assertThat(curl(base + "/api/thing", "--cacert", ca, "-H",
                    "Authorization: Bearer scraper-token-0123456789abcdef")).isEqualTo(200);
            assertThat(curl(base + "/health", "--cacert", ca)).as("open for probes").isEqualTo(200);
            // the challenge names both schemes
            Run headers = run(List.of("curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", ca, base + "/api/thing"));
            assertThat(headers.out()).containsIgnoringCase("WWW-Authenticate: Basic realm=\"mpipe test\", Bearer");
            // plain HTTP to the TLS port gets no answer, and a client that does not trust the CA refuses it
            assertThat(curl("http://127.0.0.1:" + s.port() + "/health")).isNegative();
            assertThat(curl(base + "/health")).as("curl without the CA").isEqualTo(-60);
        }
    }

    @Test
    void shouldRefuseClientCertificatesThatDoNotChainToTheClientCaOrHaveExpired(@TempDir Path dir)
            throws Exception {
        TestCerts certs = TestCerts.newCa(dir.resolve("ca"), "test-ca");
        TestCerts other = TestCerts.newCa(dir.resolve("other"), "other-ca");
        TestCerts.Issued server = certs.server("server");
        TestCerts.Issued good = certs.client("scraper");
        TestCerts.Issued stranger = other.client("stranger");
        TestCerts.Issued expired = certs.expired("old-scraper");
        HttpSettings settings = settings("""
                sink:
                  http:
                    port: 0
                    tls:
                      cert-file: %s
                      key-file: %s
                      client-ca-file: %s
                """.formatted(server.cert(), server.key(), certs.ca().cert()));
        try (ServiceHttpServer s = server(settings)) {
            String url = "https://127.0.0.1:" + s.port() + "/api/thing";
            String ca = certs.ca().cert().toString();
            assertThat(curl(url, "--cacert", ca, "--cert", good.cert().toString(), "--key", good.key().toString()))
                    .isEqualTo(200);
            assertThat(curl(url, "--cacert", ca, "--cert", stranger.cert().toString(), "--key",
                    stranger.key().toString())).as("another CA's client").isEqualTo(403);
            assertThat(curl(url, "--cacert", ca, "--cert", expired.cert().toString(), "--key",
                    expired.key().toString())).as("an expired client certificate").isEqualTo(403);
            assertThat(curl(url, "--cacert", ca)).as("no client certificate").isEqualTo(403);
            assertThat(curl("https://127.0.0.1:" + s.port() + "/health", "--cacert", ca)).as("open for probes")
                    .isEqualTo(200);
        }
    }

    @Test
    void shouldRefuseAServerCertificateThatHasExpired(@TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.newCa(dir, "test-ca");
        TestCerts.Issued expired = certs.expired("server");
        try (ServiceHttpServer s = server(settings("""
                sink:
                  http:
                    port: 0
                    tls:
                      cert-file: %s
                      key-file: %s
                """.formatted(expired.cert(), expired.key())))) {
            assertThat(curl("https://127.0.0.1:" + s.port() + "/health", "--cacert", certs.ca().cert().toString()))
                    .as("curl refuses an expired certificate").isEqualTo(-60);
        }
    }

    @Test
    void shouldServeARotatedCertificateWithoutARestart(@TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.newCa(dir.resolve("ca"), "test-ca");
        TestCerts.Issued first = certs.server("first");
        TestCerts.Issued second = certs.server("second");
        Path cert = Files.copy(first.cert(), dir.resolve("live.pem"));
        Path key = Files.copy(first.key(), dir.resolve("live-key.pem"));
        try (ServiceHttpServer s = server(settings("""
                sink:
                  http:
                    port: 0
                    tls:
                      cert-file: %s
                      key-file: %s
                      reload-interval: 1s
                """.formatted(cert, key)))) {
            assertThat(presented(s.port(), certs)).isEqualTo(first.certificate().getSerialNumber());
            Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    presented(s.port(), certs).equals(second.certificate().getSerialNumber()));
            assertThat(curl("https://127.0.0.1:" + s.port() + "/health", "--cacert", certs.ca().cert().toString()))
                    .isEqualTo(200);
        }
    }

    /** The serial number of the certificate the server presents now. */
    private static BigInteger presented(int port, TestCerts certs) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {TlsMaterial.trustManager(certs.ca().cert())}, null);
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void shouldAnswerInternalRoutesOnlyWithThePeerToken(@TempDir Path dir) throws Exception {
        Path peer = Files.writeString(dir.resolve("peer"), "peer-token-0123456789abcdef\n");
        Path users = Files.writeString(dir.resolve("users"), run(List.of("htpasswd", "-nbB", "alice", "pw")).out());
        HttpSettings settings = settings("""
                sink:
                  http:
                    port: 0
                    auth:
                      basic-users-file: %s
                """.formatted(users));
        try (ServiceHttpServer s = new ServiceHttpServer("test", settings, new CollectorRegistry(),
                () -> Health.up(Map.of()), Optional.of(peer))) {
            s.internalRoute("/api/internal/thing", ex -> Map.of("thing", 1));
            s.start();
            String url = s.baseUrl() + "/api/internal/thing";
            assertThat(curl(url, "-u", "alice:pw")).as("a user is not a peer").isEqualTo(401);
            assertThat(curl(url, "-H", "Authorization: Bearer peer-token-0123456789abcdef")).isEqualTo(200);
            assertThat(curl(url)).isEqualTo(401);
        }
    }
}
