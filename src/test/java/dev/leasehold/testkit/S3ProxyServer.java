package dev.leasehold.testkit;

import java.net.URI;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/**
 * S3Proxy on a free loopback port, as a real S3 server for origin tests, holding its objects in
 * memory. Not thread-safe: start once, stop once.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "origin-access";
  public static final String SECRET_KEY = "origin-secret-key-for-tests";

  private final S3Proxy proxy;

  private S3ProxyServer(S3Proxy proxy) {
    this.proxy = proxy;
  }

  public static S3ProxyServer start() {
    try {
      Properties props = new Properties();
      var store = BlobStores.create("transient-nio2", props);
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
