package io.mpipe.collector.hedera;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.mpipe.collector.CollectorMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client of the mirror-node REST API, shared by all Hedera sources of a collector so that
 * they share one connection pool and one rate limit.
 *
 * <ul>
 *   <li>Requests are paced by a client-side rate limit ({@code max-requests-per-second}), retries
 *       included, because the public mirror nodes answer bursts with 429.</li>
 *   <li>Each attempt has its own timeout ({@code request-timeout}).</li>
 *   <li>A 429, a 5xx, a timeout or an I/O error is retried up to {@code max-retries} times, after
 *       an exponential backoff with jitter capped at {@code max-backoff}, or after the server's
 *       {@code Retry-After} (seconds or an HTTP date), capped the same way. Every retry is
 *       counted in {@code collector_http_retries_total{source,reason}}.</li>
 *   <li>Any other status outside 2xx fails at once. A failure that outlasts the retries, or one
 *       that is not retried, is a {@link MirrorNodeHttpException} naming the endpoint and status.</li>
 *   <li>A body that is not a JSON object, or that its parser rejects, is counted in
 *       {@code collector_bad_responses_total{source}}, logged with the endpoint, and thrown as a
 *       {@link BadResponseException}.</li>
 * </ul>
 */
public final class MirrorNodeClient {
    private static final Logger log = LoggerFactory.getLogger(MirrorNodeClient.class);

    /** Most pages one {@link #getPages} call reads, so that one poll stays bounded. */
    static final int DEFAULT_MAX_PAGES = 20;
    /** Backoff before the first retry; it doubles for each further retry, up to max-backoff. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Turns the JSON body of one response into a value, or says what is wrong with it. */
    @FunctionalInterface
    public interface ResponseParser<T> {
        T parse(JsonNode body) throws BadResponseException;
    }

    /** How the client waits: between retries and for the rate limit. Tests swap in a recorder. */
    @FunctionalInterface
    interface Sleeper {
        Sleeper REAL = d -> TimeUnit.NANOSECONDS.sleep(d.toNanos());

        void sleep(Duration d) throws InterruptedException;
    }

    private record Page<T>(List<T> items, String next) {
    }

    private final HttpClient http;
    private final String baseUrl;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration maxBackoff;
    private final int maxPages;
    private final RateLimiter rateLimiter;
    private final CollectorMetrics metrics;
    private final Clock clock;
    private final Sleeper sleeper;
    /** Jitter; shared by the sources' threads, so a thread-safe generator. */
    private final RandomGenerator random;

    public MirrorNodeClient(HederaSettings settings, CollectorMetrics metrics, Clock clock) {
        this(settings, metrics, clock, Sleeper.REAL, System::nanoTime, new Random(), DEFAULT_MAX_PAGES);
    }

    MirrorNodeClient(HederaSettings settings, CollectorMetrics metrics, Clock clock, Sleeper sleeper,
            LongSupplier nanoTime, RandomGenerator random, int maxPages) {
        if (settings.maxRetries() < 0 || maxPages < 1) {
            throw new IllegalArgumentException("maxRetries must be >= 0 and maxPages >= 1");
        }
        this.baseUrl = stripTrailingSlash(settings.baseUrl());
        this.requestTimeout = Objects.requireNonNull(settings.requestTimeout(), "requestTimeout");
        this.maxRetries = settings.maxRetries();
        this.maxBackoff = Objects.requireNonNull(settings.maxBackoff(), "maxBackoff");
        this.maxPages = maxPages;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.random = Objects.requireNonNull(random, "random");
        this.rateLimiter = new RateLimiter(settings.maxRequestsPerSecond(), nanoTime, sleeper);
        this.http = HttpClient.newBuilder()
                .connectTimeout(requestTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * GETs one path ({@code /api/v1/...}) and parses the body.
     *
     * @param source the source asking, for the retry and bad-response counts
     */
    public <T> T get(String source, String path, ResponseParser<T> parser)
            throws MirrorNodeException, InterruptedException {
        byte[] body = fetch(source, path);
        return read(source, path, body, parser);
    }

    /**
     * GETs a path and the pages after it, following {@code links.next}, and returns the items of
     * every page in order. Reads at most {@value #DEFAULT_MAX_PAGES} pages (logging when that cuts
     * the list short): a caller that keeps a cursor carries on from the last item next time.
     *
     * @param pageParser the items of one page
     */
    public <T> List<T> getPages(String source, String path, ResponseParser<List<T>> pageParser)
            throws MirrorNodeException, InterruptedException {
        List<T> items = new ArrayList<>();
        String next = path;
        for (int page = 0; next != null; page++) {
            if (page == maxPages) {
                log.warn("mirror node: {} has more than {} pages; read the first {} this time (next: {})",
                        path, maxPages, maxPages, next);
                break;
            }
            byte[] body = fetch(source, next);
            Page<T> p = read(source, next, body, root -> new Page<>(pageParser.parse(root), MirrorJson.nextLink(root)));
            items.addAll(p.items());
            next = p.next();
        }
        return items;
    }

    private byte[] fetch(String source, String path) throws MirrorNodeHttpException, InterruptedException {
        if (!path.startsWith("/") || path.startsWith("//")) {
            throw new IllegalArgumentException("not a path on the mirror node: " + path);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        for (int attempt = 1; ; attempt++) {
            rateLimiter.acquire();
            int status = 0;
            String reason;
            Duration retryAfter = null;
            IOException failure = null;
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body();
                }
                if (status != 429 && status < 500) {
                    throw new MirrorNodeHttpException(path, status, attempt, null);
                }
                reason = status == 429 ? "429" : "5xx";
                retryAfter = response.headers().firstValue("Retry-After").flatMap(this::retryAfter).orElse(null);
            } catch (HttpTimeoutException e) {
                reason = "timeout";
                failure = e;
            } catch (IOException e) {
                reason = "io";
                failure = e;
            }
            if (attempt > maxRetries) {
                throw new MirrorNodeHttpException(path, status, attempt, failure);
            }
            Duration wait = retryAfter != null ? min(retryAfter, maxBackoff) : backoff(attempt);
            metrics.httpRetries.labels(source, reason).inc();
            log.debug("mirror node: {} for {} ({}); retry {} of {} in {} ms", path, source, reason, attempt,
                    maxRetries, wait.toMillis());
            sleeper.sleep(wait);
        }
    }

    private <T> T read(String source, String path, byte[] body, ResponseParser<T> parser)
            throws BadResponseException {
        String detail;
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root == null || !root.isObject()) {
                throw new BadResponseException("expected a JSON object, got " + (root == null || root.isMissingNode()
                        ? "an empty body" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
            }
            return parser.parse(root);
        } catch (JsonProcessingException e) {
            detail = "not JSON: " + e.getOriginalMessage();
        } catch (IOException e) {
            detail = "unreadable: " + e;
        } catch (BadResponseException e) {
            detail = e.detail();
        }
        metrics.badResponses.labels(source).inc();
        log.warn("mirror node: bad response from {} for {}: {}", path, source, detail);
        throw new BadResponseException(path, detail);
    }

    /** Exponential backoff with equal jitter: between half and all of the capped exponential. */
    Duration backoff(int retry) {
        long capNanos = maxBackoff.toNanos();
        long expNanos = FIRST_BACKOFF.toNanos() << Math.min(retry - 1, 30);
        long ceiling = Math.min(capNanos, expNanos < 0 ? capNanos : expNanos);
        long half = ceiling / 2;
        return Duration.ofNanos(half + random.nextLong(ceiling - half + 1));
    }

    /** {@code Retry-After}: delay-seconds or an HTTP date; empty when it is neither. */
    Optional<Duration> retryAfter(String value) {
        String v = value.trim();
        if (v.matches("\\d{1,10}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(clock.instant(), at.toInstant());
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException e) {
            log.debug("mirror node: ignoring a Retry-After that is neither seconds nor a date: {}", v);
            return Optional.empty();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String stripTrailingSlash(String url) {
        Objects.requireNonNull(url, "baseUrl");
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
