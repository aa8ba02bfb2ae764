package dev.leasehold.cli;

/** A configuration value that cannot be used; the message names the setting. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
  }
}
