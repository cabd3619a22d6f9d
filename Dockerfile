# One image for every command: the first argument picks it (collector, sink, exporter, replay, lag,
# migrate). docker-compose.yml runs it as the collector, the sink and the exporter.
#   docker build -t mpipe .
#   docker run --rm mpipe --help

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The poms first: packaging the modules before their sources are copied fetches every plugin and
# dependency into a layer that is rebuilt only when a pom changes. (dependency:go-offline cannot
# do it here: it fails on the modules' dependencies on each other, which are not built yet.)
COPY pom.xml ./
COPY common/pom.xml common/
COPY embedded/pom.xml embedded/
COPY test-support/pom.xml test-support/
COPY collector-app/pom.xml collector-app/
COPY sink-app/pom.xml sink-app/
COPY exporter-app/pom.xml exporter-app/
COPY bench/pom.xml bench/
COPY cli/pom.xml cli/
RUN mvn -B -q -DskipTests -Dmaven.test.skip=true package -pl cli -am \
    && rm -rf ./*/target
COPY . .
RUN mvn -B -q -DskipTests -Dmaven.test.skip=true package -pl cli -am

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 mpipe \
    && useradd --system --uid 10001 --gid mpipe --home-dir /app --no-create-home --shell /usr/sbin/nologin mpipe \
    && mkdir -p /data \
    && chown mpipe:mpipe /data
WORKDIR /app
COPY --from=build /src/cli/target/lib/ /app/lib/
COPY --from=build /src/cli/target/mpipe-cli.jar /app/mpipe-cli.jar
COPY deploy/healthcheck.sh /app/healthcheck.sh
COPY deploy/run.sh /app/run.sh
USER mpipe:mpipe
# The service's HTTP port for the health check: exporter 9400, collector 9401, sink 9402.
ENV HEALTH_PORT=9400
EXPOSE 9400 9401 9402
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["bash", "/app/healthcheck.sh"]
# JVM options: PIPELINE_JAVA_OPTS replaces the default (-XX:+UseG1GC), JAVA_TOOL_OPTIONS adds to it
# (e.g. -Xmx512m); see deploy/run.sh.
ENTRYPOINT ["bash", "/app/run.sh"]
CMD ["--help"]
