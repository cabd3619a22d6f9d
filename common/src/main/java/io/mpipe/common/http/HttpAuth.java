package io.mpipe.common.http;

import io.mpipe.common.config.ConfigException;
import io.mpipe.common.config.HttpSecurity;
import io.mpipe.common.config.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Who may call a service: the credentials of {@link HttpSecurity}, read from their files and read
 * again when a file changes. A request passes when its path is open, or when it brings what is
 * asked: a client certificate that chains to the client CA (403 otherwise), and, when users or
 * tokens are configured, a good {@code Authorization: Basic} or {@code Bearer} credential (401
 * with {@code WWW-Authenticate} otherwise). Routes that other instances call take only the peer
 * token. Every comparison takes the same time whatever matches: bcrypt for passwords (a user who
 * does not exist is checked against a dummy hash), digests compared with
 * {@link MessageDigest#isEqual} for tokens. A password that passed is remembered for a minute (by
 * its digest), as Prometheus's web config does, so that a scrape does not pay bcrypt each time.
 *
 * <p>Thread-safe.
 */
public final class HttpAuth {
    /** What a request gets when it may not pass: 401 or 403, why, and the challenge of a 401. */
    public record Refusal(int status, String reason, String challenge) {
    }

    /** What a user who does not exist is checked against, so that the answer takes as long. */
    private static final String DUMMY_HASH = OpenBSDBCrypt.generate("2y", "not a password".toCharArray(),
            new java.security.SecureRandom().generateSeed(16), 10);
    private static final long REMEMBER_MS = 60_000;
    private static final int REMEMBERED = 1_024;

    private final String service;
    private final HttpSecurity security;
    private final Optional<Path> peerTokenFile;
    private volatile Loaded loaded;
    private final Map<String, Long> passed = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** What the files said, and when they were read. */
    private record Loaded(Map<String, String> users, List<byte[]> tokens, List<byte[]> peerTokens,
            X509TrustManager clientCa, Map<Path, Long> stamps) {
    }

    /**
     * @param peerTokenFile the token other instances of the service present on its internal routes
     * @throws ConfigException naming the key whose file is not what it should be
     */
    public HttpAuth(String service, HttpSecurity security, Optional<Path> peerTokenFile) {
        this.service = service;
        this.security = security;
        this.peerTokenFile = peerTokenFile;
        this.loaded = load();
    }

    /** Whether a request must show anything at all. */
    public boolean enabled() {
        return security.authenticates() || peerTokenFile.isPresent();
    }

    /** Reads the files again when one changed; keeps what it had (and says why) when one is now wrong. */
    public void reloadIfChanged() {
        Loaded l = loaded;
        boolean changed = false;
        for (Map.Entry<Path, Long> e : l.stamps().entrySet()) {
            changed |= stamp(e.getKey()) != e.getValue();
        }
        if (changed) {
            try {
                loaded = load();
                synchronized (passed) {
                    passed.clear();
                }
                org.slf4j.LoggerFactory.getLogger(HttpAuth.class).info("{}: read the HTTP credentials again", service);
            } catch (ConfigException e) {
                org.slf4j.LoggerFactory.getLogger(HttpAuth.class).warn("{}: the changed HTTP credentials are not"
                        + " valid; keeping the ones before: {}", service, e.getMessage());
            }
        }
    }

    private Loaded load() {
        String p = service + ".http.";
        Map<Path, Long> stamps = new HashMap<>();
        Map<String, String> users = security.basicUsersFile().map(f -> {
            stamps.put(f, stamp(f));
            return users(p + "auth.basic-users-file", f);
        }).orElse(Map.of());
        List<byte[]> tokens = security.bearerTokensFile().map(f -> {
            stamps.put(f, stamp(f));
            return tokens(p + "auth.bearer-tokens-file", f);
        }).orElse(List.of());
        List<byte[]> peers = peerTokenFile.map(f -> {
            stamps.put(f, stamp(f));
            return tokens(service + ".peer-token-file", f);
        }).orElse(List.of());
        X509TrustManager ca = security.clientCaFile().map(f -> {
            stamps.put(f, stamp(f));
            try {
                return TlsMaterial.trustManager(f);
            } catch (IOException | GeneralSecurityException e) {
                throw new ConfigException(p + "tls.client-ca-file: " + e.getMessage());
            }
        }).orElse(null);
        return new Loaded(users, tokens, peers, ca, stamps);
    }

    private static long stamp(Path f) {
        try {
            return Files.getLastModifiedTime(f).toMillis() ^ Files.size(f);
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code user:bcrypt-hash} lines, as {@code htpasswd -B} writes them; blank and {@code #} lines skipped. */
    static Map<String, String> users(String key, Path f) {
        Map<String, String> out = new HashMap<>();
        List<String> lines = lines(key, f);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String user = colon < 0 ? line : line.substring(0, colon);
            String hash = colon < 0 ? "" : line.substring(colon + 1);
            if (user.isEmpty() || !(hash.startsWith("$2y$") || hash.startsWith("$2b$") || hash.startsWith("$2a$"))
                    || hash.length() != 60) {
                throw new ConfigException(key + ": " + f + " line " + (i + 1) + " is not user:bcrypt-hash (make one"
                        + " with htpasswd -nB USER)");
            }
            out.put(user, hash);
        }
        return Map.copyOf(out);
    }

    /** One token a line (blank and {@code #} lines skipped), kept as their SHA-256. */
    static List<byte[]> tokens(String key, Path f) {
        List<byte[]> out = new ArrayList<>();
        for (String line : lines(key, f)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            Secret.checkNotPlaceholder(key, t);
            if (t.length() < 16) {
                throw new ConfigException(key + ": " + f + " holds a token shorter than 16 characters");
            }
            out.add(sha256(t));
        }
        if (out.isEmpty()) {
            throw new ConfigException(key + ": " + f + " holds no token");
        }
        return List.copyOf(out);
    }

    private static List<String> lines(String key, Path f) {
        try {
            return Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + f + ": " + e.getMessage());
        }
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Null when the request may pass, else why not.
     *
     * @param path          the request's path
     * @param internal      the route is one other instances call (only the peer token passes)
     * @param authorization the {@code Authorization} header, or null
     * @param clientChain   the client certificate chain of the TLS connection, or null
     */
    public Refusal check(String path, boolean internal, String authorization, X509Certificate[] clientChain) {
        Loaded l = loaded;
        if (!internal && security.openPaths().contains(path)) {
            return null;
        }
        if (l.clientCa() != null) {
            if (clientChain == null || clientChain.length == 0) {
                return new Refusal(403, "a client certificate is required", null);
            }
            try {
                l.clientCa().checkClientTrusted(clientChain, clientChain[0].getPublicKey().getAlgorithm());
            } catch (CertificateException e) {
                return new Refusal(403, "the client certificate is not trusted: " + e.getMessage(), null);
            }
        }
        if (internal) {
            if (peerTokenFile.isEmpty()) {
                return null;
            }
            return matchesToken(bearer(authorization), l.peerTokens()) ? null
                    : new Refusal(401, "this route answers other instances only (" + service + ".peer-token-file)",
                            "Bearer realm=\"mpipe " + service + " peers\"");
        }
        if (l.users().isEmpty() && l.tokens().isEmpty()) {
            return null;
        }
        boolean ok = false;
        String token = bearer(authorization);
        if (token != null && !l.tokens().isEmpty()) {
            ok = matchesToken(token, l.tokens());
        } else if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)
                && !l.users().isEmpty()) {
            ok = basic(authorization.substring(6).strip(), l.users());
        }
        return ok ? null : new Refusal(401, authorization == null ? "credentials are required" : "bad credentials",
                challenge(l));
    }

    private String challenge(Loaded l) {
        String realm = "realm=\"mpipe " + service + "\"";
        if (!l.users().isEmpty() && !l.tokens().isEmpty()) {
            return "Basic " + realm + ", Bearer " + realm;
        }
        return (l.users().isEmpty() ? "Bearer " : "Basic ") + realm;
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).strip();
    }

    /** Compared with every token, each in constant time, whichever matches. */
    private static boolean matchesToken(String token, List<byte[]> tokens) {
        if (token == null) {
            return false;
        }
        byte[] d = sha256(token);
        boolean ok = false;
        for (byte[] t : tokens) {
            ok |= MessageDigest.isEqual(d, t);
        }
        return ok;
    }

    private boolean basic(String encoded, Map<String, String> users) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        String hash = users.get(user);
        String remembered = java.util.HexFormat.of().formatHex(sha256(user + "\u0000" + password
                + "\u0000" + (hash == null ? "" : hash)));
        long now = System.currentTimeMillis();
        synchronized (passed) {
            Long until = passed.get(remembered);
            if (until != null && until > now && hash != null) {
                return true;
            }
        }
        boolean ok;
        try {
            ok = OpenBSDBCrypt.checkPassword(hash != null ? hash : DUMMY_HASH, password.toCharArray()) && hash != null;
        } catch (IllegalArgumentException e) {
            ok = false;
        }
        if (ok) {
            synchronized (passed) {
                passed.put(remembered, now + REMEMBER_MS);
            }
        }
        return ok;
    }
}
