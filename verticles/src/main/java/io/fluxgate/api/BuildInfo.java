package io.fluxgate.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What this build is: version, commit and time, from the resource Maven fills in. */
public record BuildInfo(String version, String commit, String buildTime) {

  private static final BuildInfo CURRENT = load();

  public static BuildInfo current() {
    return CURRENT;
  }

  private static BuildInfo load() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/fluxgate-build.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      // Fall through to the placeholders below: a missing build stamp must not stop a node.
    }
    return new BuildInfo(
        properties.getProperty("version", "dev"),
        properties.getProperty("commit", "unknown"),
        properties.getProperty("build_time", "unknown"));
  }
}
