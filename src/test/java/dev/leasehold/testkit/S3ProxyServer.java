package dev.leasehold.testkit;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/**
 * S3Proxy on a free loopback port, as a real S3 server for origin tests, holding its objects in
 * memory ({@link #start()}) or in files under a directory ({@link #onDisk}, for objects larger than
 * a heap). Not thread-safe: start once, stop once.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "origin-access";
  public static final String SECRET_KEY = "origin-secret-key-for-tests";

  private final S3Proxy proxy;

  private S3ProxyServer(S3Proxy proxy) {
    this.proxy = proxy;
  }

  public static S3ProxyServer start() {
    return start("transient-nio2", new Properties());
  }

  /** S3Proxy keeping its buckets as directories under {@code dir}. */
  public static S3ProxyServer onDisk(Path dir) {
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
    return start("filesystem-nio2", props);
  }

  private static S3ProxyServer start(String provider, Properties props) {
    try {
      var store = BlobStores.create(provider, props);
      S3Proxy proxy =
          S3Proxy.builder()
              .blobStore(store)
              .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
              .endpoint(URI.create("http://127.0.0.1:0"))
              .build();
      proxy.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.sleep(10);
      }
      return new S3ProxyServer(proxy);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy", e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop S3Proxy", e);
    }
  }
}
