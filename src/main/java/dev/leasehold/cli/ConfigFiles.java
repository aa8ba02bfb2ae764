package dev.leasehold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * A command's YAML configuration file as its own options: {@code peers: [a, b]} is {@code
 * --peers=a,b}, {@code join: true} is {@code --join}. Every key must be a long option of the
 * command (a typo stops it), other than those that are not settings. Stateless.
 */
final class ConfigFiles {
  /** Options that are not settings, never taken from a file. */
  private static final Set<String> NOT_SETTINGS = Set.of("config", "help", "version");

  private ConfigFiles() {}

  /** The file's settings as options of the command {@code spec}, in the file's order. */
  static List<String> asOptions(Path file, CommandLine.Model.CommandSpec spec) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
    }
    List<String> options = new ArrayList<>();
    if (root == null || root.isNull() || root.isMissingNode()) {
      return options;
    }
    if (!root.isObject()) {
      throw new ConfigException("config", file + " must be a YAML mapping of settings");
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String key = e.getKey();
      CommandLine.Model.OptionSpec option = spec.findOption("--" + key);
      if (option == null || NOT_SETTINGS.contains(key)) {
        throw new ConfigException(key, "is not a setting of `leasehold " + spec.name() + "`");
      }
      JsonNode v = e.getValue();
      String value;
      if (v.isArray()) {
        List<String> items = new ArrayList<>();
        v.forEach(item -> items.add(item.asText()));
        value = String.join(",", items);
      } else if (v.isNull()) {
        throw new ConfigException(key, "has no value");
      } else if (v.isValueNode()) {
        value = v.asText();
      } else {
        throw new ConfigException(key, "must be a value or a list");
      }
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
