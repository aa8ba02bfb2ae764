package dev.leasehold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * YAML configuration files: read as a mapping of settings ({@link SiteConfig}'s too), or as a
 * command's own options: {@code peers: [a, b]} is {@code --peers=a,b}, {@code join: true} is {@code
 * --join}; every key must then be a long option of the command (a typo stops it), other than those
 * that are not settings. Stateless.
 */
final class ConfigFiles {
  /** Options that are not settings, never taken from a file. */
  private static final Set<String> NOT_SETTINGS = Set.of("config", "help", "version");

  private ConfigFiles() {}

  /**
   * The YAML mapping in {@code file}, in its order (empty for an empty file).
   *
   * @throws ConfigException if it cannot be read or is not a mapping
   */
  static Map<String, JsonNode> mapping(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
    }
    Map<String, JsonNode> out = new LinkedHashMap<>();
    if (root == null || root.isNull() || root.isMissingNode()) {
      return out;
    }
    if (!root.isObject()) {
      throw new ConfigException("config", file + " must be a YAML mapping of settings");
    }
    root.properties().forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * A setting's value as text: a list joined with commas, a value as it reads.
   *
   * @throws ConfigException if it is neither (a mapping)
   */
  static String text(String key, JsonNode v) {
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      v.forEach(item -> items.add(item.asText()));
      return String.join(",", items);
    }
    if (v.isValueNode()) {
      return v.asText();
    }
    throw new ConfigException(key, "must be a value or a list");
  }

  /** The file's settings as options of the command {@code spec}, in the file's order. */
  static List<String> asOptions(Path file, CommandLine.Model.CommandSpec spec) {
    List<String> options = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : mapping(file).entrySet()) {
      String key = e.getKey();
      CommandLine.Model.OptionSpec option = spec.findOption("--" + key);
      if (option == null || NOT_SETTINGS.contains(key)) {
        throw new ConfigException(key, "is not a setting of `leasehold " + spec.name() + "`");
      }
      if (e.getValue().isNull()) {
        throw new ConfigException(key, "has no value");
      }
      String value = text(key, e.getValue());
      if (option.arity().max() == 0) { // a flag
        if (!value.equals("true") && !value.equals("false")) {
          throw new ConfigException(key, "must be true or false, not '" + value + "'");
        }
        if (value.equals("true")) {
          options.add("--" + key);
        }
      } else {
        options.add("--" + key + "=" + value);
      }
    }
    return options;
  }
}
