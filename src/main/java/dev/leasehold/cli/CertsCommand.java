package dev.leasehold.cli;

import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code leasehold certs}: the namespace's certificate authority and the certificates it issues
 * (docs/security.md). Each subcommand writes PEM files into {@code --certs-dir} and never
 * overwrites one.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Create the namespace's certificate authority and its certificates.",
    subcommands = {
      CertsCommand.CreateCa.class,
      CertsCommand.CreateNode.class,
      CertsCommand.CreateClient.class
    })
final class CertsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The directory every subcommand works in. */
  static final class Dir {
    @Option(
        names = "--certs-dir",
        required = true,
        paramLabel = "DIR",
        description = "Directory of the namespace's certificates (ca.crt, NAME.crt, NAME.key).")
    Path dir = Path.of(".");
  }

  @Command(
      name = "create-ca",
      mixinStandardHelpOptions = true,
      description =
          "Create the namespace's authority: ca.crt (give it to every node and client) and ca.key"
              + " (keep it where only `leasehold certs` runs).")
  static final class CreateCa implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Dir dir = new Dir();

    @Override
    public Integer call() throws IOException {
      return written(spec, () -> CertificateAuthority.createCa(dir.dir), dir.dir, "ca");
    }
  }

  @Command(
      name = "create-node",
      mixinStandardHelpOptions = true,
      description =
          "Issue NAME.crt and NAME.key for a site (NAME is its --site) or a coordinator peer (NAME"
              + " is its --id).")
  static final class CreateNode implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Dir dir = new Dir();

    @Parameters(index = "0", paramLabel = "NAME", description = "The site's or peer's name.")
    String name = "";

    @Option(
        names = "--host",
        paramLabel = "HOST",
        description =
            "A host name or IP address others reach this node by (repeatable); a link to an"
                + " address not listed is refused.")
    List<String> hosts = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      return written(
          spec, () -> CertificateAuthority.createNode(dir.dir, name, hosts), dir.dir, name);
    }
  }

  @Command(
      name = "create-client",
      mixinStandardHelpOptions = true,
      description = "Issue NAME.crt and NAME.key for a person or a tool.")
  static final class CreateClient implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Dir dir = new Dir();

    @Parameters(index = "0", paramLabel = "NAME", description = "Who holds it.")
    String name = "";

    @Option(
        names = "--operator",
        description = "May change the namespace: declare a site lost, set a bucket's write mode.")
    boolean operator;

    @Override
    public Integer call() throws IOException {
      return written(
          spec, () -> CertificateAuthority.createClient(dir.dir, name, operator), dir.dir, name);
    }
  }

  /** Something that writes a certificate. */
  @FunctionalInterface
  interface Issue {
    X509Certificate run() throws IOException;
  }

  private static int written(CommandLine.Model.CommandSpec spec, Issue issue, Path dir, String name)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    X509Certificate cert;
    try {
      cert = issue.run();
    } catch (FileAlreadyExistsException e) {
      err.println("leasehold certs: " + e.getFile() + " exists; nothing was written");
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("leasehold certs: " + e.getMessage());
      return 2;
    }
    String crt = name.equals("ca") ? NodeCertificates.CA_CERT : name + ".crt";
    String key = name.equals("ca") ? NodeCertificates.CA_KEY : name + ".key";
    out.println("wrote " + dir.resolve(crt) + " and " + dir.resolve(key) + " (0600)");
    out.println("  subject  " + cert.getSubjectX500Principal().getName());
    out.println("  expires  " + cert.getNotAfter().toInstant());
    return 0;
  }
}
