package io.mpipe.cli;

import picocli.CommandLine;

/** The version, from the jar's manifest when there is one. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Pipeline.class.getPackage().getImplementationVersion();
        return new String[] {"pipeline " + (v == null ? "development build" : v),
            "Java " + System.getProperty("java.version")};
    }
}
