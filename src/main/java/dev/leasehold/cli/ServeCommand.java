package dev.leasehold.cli;

import dev.leasehold.origin.Origin;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

  @Option(names = "--config", paramLabel = "FILE", description = "YAML file of settings.")
  @Nullable Path configFile;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: ./leasehold-data.")
  @Nullable String dataDir;

  @Option(names = "--bind", paramLabel = "ADDRESS", description = "Default: 127.0.0.1.")
  @Nullable String bind;

  @Option(names = "--s3-port", paramLabel = "PORT", description = "Default: 9000.")
  @Nullable String s3Port;

  @Option(names = "--admin-port", paramLabel = "PORT", description = "Default: 9001.")
  @Nullable String adminPort;

  @Option(
      names = "--origin",
      paramLabel = "URI",
      description = "file:///path, or s3://?endpoint=http://host:port&region=R&path-style=true.")
  @Nullable String origin;

  @Option(names = "--cache-size", paramLabel = "SIZE", description = "Default: 10GiB.")
  @Nullable String cacheSize;

  @Option(names = "--chunk-size", paramLabel = "SIZE", description = "Default: 4MiB.")
  @Nullable String chunkSize;

  @Option(names = "--region", paramLabel = "REGION", description = "Default: us-east-1.")
  @Nullable String region;

  @Option(
      names = "--domains",
      paramLabel = "LIST",
      description = "Virtual-host domains, comma-separated. Default: localhost.")
  @Nullable String domains;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = System.getenv();
    SiteConfig config = SiteConfig.load(configFile, env, flags());
    CredentialStore.Loaded credentials = CredentialStore.load(config.metaDir(), env);
    Origin originStore = OriginSpec.open(config.originUri(), env);
    Site site = Site.start(config, credentials.credentials(), originStore);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  site.close();
                  stopped.countDown();
                },
                "shutdown"));
    banner(spec.commandLine().getOut(), site, credentials, originStore);
    stopped.await();
    return 0;
  }

  private Map<Setting, String> flags() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    put(flags, Setting.DATA_DIR, dataDir);
    put(flags, Setting.BIND, bind);
    put(flags, Setting.S3_PORT, s3Port);
    put(flags, Setting.ADMIN_PORT, adminPort);
    put(flags, Setting.ORIGIN, origin);
    put(flags, Setting.CACHE_SIZE, cacheSize);
    put(flags, Setting.CHUNK_SIZE, chunkSize);
    put(flags, Setting.REGION, region);
    put(flags, Setting.DOMAINS, domains);
    return flags;
  }

  private static void put(Map<Setting, String> flags, Setting s, @Nullable String value) {
    if (value != null) {
      flags.put(s, value);
    }
  }

  private static void banner(
      PrintWriter out, Site site, CredentialStore.Loaded credentials, Origin origin) {
    SiteConfig c = site.config();
    String endpoint = site.s3Endpoint().toString();
    out.println("Leasehold site is running.");
    out.println("  S3 endpoint  " + endpoint);
    out.println("  region       " + c.region());
    out.println("  access key   " + credentials.credentials().accessKey());
    out.println(
        "  secret key   "
            + credentials.credentials().secretKey()
            + "   ("
            + credentials.source()
            + ")");
    out.println("  origin       " + origin.describe());
    out.println(
        "  cache        "
            + c.cacheDir()
            + " ("
            + Values.formatSize(c.cacheSize())
            + ", "
            + Values.formatSize(c.chunkSize())
            + " chunks)");
    out.println("  health       " + site.adminEndpoint() + "/health/ready");
    out.println();
    out.println("Try it:");
    out.println(
        "  export AWS_ACCESS_KEY_ID="
            + credentials.credentials().accessKey()
            + " AWS_SECRET_ACCESS_KEY="
            + credentials.credentials().secretKey()
            + " AWS_REGION="
            + c.region());
    out.println("  aws --endpoint-url " + endpoint + " s3 mb s3://demo");
    out.println("  aws --endpoint-url " + endpoint + " s3 cp README.md s3://demo/");
    out.println("Stop with Ctrl-C.");
    out.flush();
  }
}
