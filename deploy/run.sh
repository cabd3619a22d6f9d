#!/usr/bin/env bash
# The image's entry point: bin/pipeline <command> [options] inside the container. JVM options as
# bin/pipeline takes them: PIPELINE_JAVA_OPTS replaces the default (G1), JAVA_TOOL_OPTIONS adds to
# either (-Xmx512m). See "JVM options" in the README.
set -f # the options split at spaces, and are never file patterns (-Xlog:gc*)
exec java ${PIPELINE_JAVA_OPTS:--XX:+UseG1GC} -XX:+ExitOnOutOfMemoryError \
    -cp "/app/mpipe-cli.jar:/app/lib/*" io.mpipe.cli.Pipeline "$@"
