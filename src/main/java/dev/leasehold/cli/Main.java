package dev.leasehold.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code leasehold} command. */
@Command(
    name = "leasehold",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A strictly consistent global namespace over object storage.")
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // java.util.logging (gRPC, the JDK) goes through logback too, in the same format.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  /** The whole command line, with every subcommand (tests run commands through it). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    CommandLine serve = new CommandLine(new ServeCommand());
    ServeCommand.addSettingOptions(serve.getCommandSpec());
    cli.addSubcommand("serve", serve);
    cli.addSubcommand("coordinator", new CommandLine(new CoordinatorCommand()));
    cli.addSubcommand("demo", new CommandLine(new DemoCommand()));
    CommandLine admin = new CommandLine(new AdminCommand());
    AdminCommand.addPrefixCommands(admin);
    cli.addSubcommand("admin", admin);
    cli.addSubcommand("certs", new CommandLine(new CertsCommand()));
    return withHandlers(cli);
  }

  /** {@code cli} with the exit codes of every command: 2 for a configuration error, 1 failed. */
  static CommandLine withHandlers(CommandLine cli) {
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ConfigException) {
        cmd.getErr().println("leasehold: configuration error: " + e.getMessage());
        return 2;
      }
      if (e instanceof CommandLine.ExecutionException) {
        cmd.getErr().println("leasehold: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The version and the commit it was built from, from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"leasehold " + describe()};
    }

    /** {@code 0.1.0 (commit 0123456789ab)}, or {@code (development build)} outside a jar. */
    static String describe() {
      String v = Main.class.getPackage().getImplementationVersion();
      if (v == null) {
        return "(development build)";
      }
      String commit = manifestValue("Leasehold-Commit");
      // Built outside a git clone, the build had no commit to put there.
      boolean known = commit != null && !commit.isBlank() && !commit.startsWith("${");
      return v + " (commit " + (known ? commit : "unknown") + ")";
    }

    private static @org.jspecify.annotations.Nullable String manifestValue(String name) {
      try (var in = Main.class.getResourceAsStream("/META-INF/MANIFEST.MF")) {
        return in == null
            ? null
            : new java.util.jar.Manifest(in).getMainAttributes().getValue(name);
      } catch (java.io.IOException e) {
        return null;
      }
    }
  }
}
