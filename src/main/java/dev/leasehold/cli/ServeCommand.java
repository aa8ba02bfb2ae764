package dev.leasehold.cli;

import dev.leasehold.origin.Origin;
import dev.leasehold.telemetry.Logs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code leasehold serve}: runs one site until stopped. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a Leasehold site: an S3 endpoint with a local cache over an origin.",
      "With no flags: the origin is the directory ./leasehold-data/origin, S3 on 127.0.0.1:9000."
    })
final class ServeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML file of settings (see docs/configuration.md).")
  @Nullable Path configFile;

  @Option(
      names = "--insecure",
      description =
          "Serve other machines without certificates: every internal link plain and"
              + " unauthenticated (logged as a warning at start and every hour). Without it, a"
              + " site with no --certs-dir listens on loopback addresses only.")
  boolean insecure;

  @Option(
      names = "--check",
      description =
          "Check the settings (file, flags and variables: every key a setting, every value of its"
              + " kind, no plain listening beyond loopback) and exit: 0 if they are valid, 2 with"
              + " what is wrong (a service's ExecStartPre). Files and the origin are not opened.")
  boolean check;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = System.getenv();
    SiteConfig config = SiteConfig.load(configFile, env, flags());
    Exposure.check(
        "serve",
        Map.of(Setting.BIND.key(), config.bind(), Setting.ADMIN_BIND.key(), config.adminBind()),
        config.secure(),
        insecure);
    if (check) {
      spec.commandLine()
          .getOut()
          .println(
              "leasehold: the settings are valid (site "
                  + config.site()
                  + ", data in "
                  + config.dataDir()
                  + ")");
      spec.commandLine().getOut().flush();
      return 0;
    }
    DataDirectory.restrict(config.dataDir());
    CredentialStore.Loaded credentials = CredentialStore.load(config.metaDir(), env);
    Origin originStore = OriginSpec.open(config.originUri(), env);
    Site site = Site.start(config, credentials.credentials(), originStore);
    // SIGTERM and Ctrl-C stop the site gracefully and exit 0 (docs/operations.md, Stopping a
    // site); any other end of the JVM still closes it, through the shutdown hook.
    CountDownLatch stopAsked = new CountDownLatch(1);
    AtomicBoolean stopped = new AtomicBoolean();
    for (String signal : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stopAsked.countDown());
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (stopped.compareAndSet(false, true)) {
                    site.close();
                    Logs.stop(); // the access log's queued lines are written
                  }
                },
                "shutdown"));
    banner(spec.commandLine().getOut(), site, credentials, originStore);
    stopAsked.await();
    if (stopped.compareAndSet(false, true)) {
      site.stop(config.drainTimeout());
      Logs.stop();
    }
    return 0;
  }

  /**
   * Adds one {@code --<setting>} option per {@link Setting} to the command, so that every setting
   * has a flag, described once, in {@link Setting}.
   */
  static void addSettingOptions(CommandLine.Model.CommandSpec spec) {
    for (Setting s : Setting.values()) {
      String fallback = s.defaultValue().isEmpty() ? "see docs/configuration.md" : s.defaultValue();
      spec.addOption(
          CommandLine.Model.OptionSpec.builder("--" + s.key())
              .paramLabel(s.key().toUpperCase(java.util.Locale.ROOT).replace('-', '_'))
              .type(String.class)
              .description(s.description() + " Default: " + fallback + ".")
              .build());
    }
  }

  private Map<Setting, String> flags() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String value = spec.findOption("--" + s.key()).getValue();
      if (value != null) {
        flags.put(s, value);
      }
    }
    return flags;
  }

  private static void banner(
      PrintWriter out, Site site, CredentialStore.Loaded credentials, Origin origin) {
    SiteConfig c = site.config();
    String endpoint = site.s3Endpoint().toString();
    out.println("Leasehold site is running.");
    out.println("  S3 endpoint  " + endpoint);
    out.println("  region       " + c.region());
    out.println("  access key   " + credentials.credentials().accessKey());
    // The secret key is shown once, when it is generated: start-up output ends up in logs.
    boolean shown = credentials.generated();
    out.println(
        "  secret key   "
            + (shown ? credentials.credentials().secretKey() + "   (" : "not shown (")
            + credentials.source()
            + ")");
    out.println(
        "  origin       "
            + origin.describe()
            + (c.originName().isEmpty() ? "" : "   (named " + c.originName() + ")"));
    out.println(
        "  cache        "
            + c.cacheDir()
            + " ("
            + Values.formatSize(c.cacheSize())
            + ", "
            + Values.formatSize(c.chunkSize())
            + " chunks; "
            + Values.formatSize(c.memoryCacheSize())
            + " in memory)");
    out.println("  health       " + site.adminEndpoint() + "/health/ready");
    out.println("  dashboard    " + site.adminEndpoint() + "/");
    out.println(
        "  admin API    "
            + site.adminEndpoint()
            + "/admin/v1/ (token: ./leasehold admin --data-dir "
            + c.dataDir()
            + " ...)");
    out.println();
    out.println("Try it:");
    out.println(
        "  export AWS_ACCESS_KEY_ID="
            + credentials.credentials().accessKey()
            + " AWS_SECRET_ACCESS_KEY="
            + (shown ? credentials.credentials().secretKey() : credentials.secretInShell())
            + " AWS_REGION="
            + c.region());
    // A site serving with the namespace's certificate: clients trust the namespace's authority.
    String bundle =
        c.https() && c.tlsCert().isEmpty()
            ? " --ca-bundle " + Path.of(c.certsDir()).toAbsolutePath().resolve("ca.crt")
            : "";
    out.println("  aws --endpoint-url " + endpoint + bundle + " s3 mb s3://demo");
    out.println("  aws --endpoint-url " + endpoint + bundle + " s3 cp README.md s3://demo/");
    out.println("Stop with Ctrl-C.");
    out.flush();
  }
}
