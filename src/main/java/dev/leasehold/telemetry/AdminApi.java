package dev.leasehold.telemetry;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The admin API, JSON over HTTP under {@code /admin/v1/}, every call authenticated with {@code
 * Authorization: Bearer <admin token>}:
 *
 * <ul>
 *   <li>{@code GET sites}, {@code GET buckets}, {@code GET cache}, {@code GET lease?bucket=B&key=K}
 *       (this site's), {@code GET leases?bucket=B&prefix=P&limit=N} (the coordinator's table);
 *   <li>{@code POST warm?bucket=B&prefix=P}: starts loading a prefix into the cache, answers 202
 *       with a job; {@code GET jobs/ID}: its progress;
 *   <li>{@code POST evict?bucket=B&prefix=P}: drops the prefix's cached chunks;
 *   <li>{@code POST pin?bucket=B&prefix=P}, {@code POST unpin?...}: keeps the prefix's chunks from
 *       eviction, or lets them go again;
 *   <li>{@code POST write-mode?bucket=B&mode=write-back|write-through[&policy=P]}: the bucket's
 *       write mode and redirect policy (adaptive, redirect, recall), for every site;
 *   <li>{@code POST prefix-lease?bucket=B&prefix=P}, {@code POST prefix-release?...}: a prefix
 *       WRITE lease for this site (keys under it are written with no coordinator round trip), and
 *       its hand-back (flushed first);
 *   <li>{@code POST declare-lost?site=S}: a site that will not return; answers the objects whose
 *       unflushed versions were lost;
 *   <li>{@code GET coordinator}: the coordinator group (peers and their Raft addresses, leader);
 *       {@code POST coordinator/add-peer?id=I&address=HOST:PORT}, {@code POST
 *       coordinator/remove-peer?id=I}, {@code POST coordinator/transfer-leader?id=I}: change it
 *       (docs/design.md, Changing the coordinator group).
 * </ul>
 *
 * Errors are JSON too: {@code {"error": "...", "message": "..."}} with 400, 401, 404 or 500.
 *
 * <p>Thread-safe: jobs live in a concurrent map and publish their progress through atomics.
 */
final class AdminApi {
  /** One long action: its progress, readable while it runs. */
  private static final class Job implements AdminActions.Progress {
    final String id;
    final String action;
    final AtomicLong objects = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong objectsDone = new AtomicLong();
    final AtomicLong bytesDone = new AtomicLong();
    final AtomicReference<String> state = new AtomicReference<>("running");
    final AtomicReference<String> error = new AtomicReference<>("");

    Job(String id, String action) {
      this.id = id;
      this.action = action;
    }

    @Override
    public void found(long n, long size) {
      objects.addAndGet(n);
      bytes.addAndGet(size);
    }

    @Override
    public void done(long size) {
      objectsDone.incrementAndGet();
      bytesDone.addAndGet(size);
    }

    Map<String, Object> json() {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("id", id);
      j.put("action", action);
      j.put("state", state.get());
      j.put("objects", objects.get());
      j.put("objectsDone", objectsDone.get());
      j.put("bytes", bytes.get());
      j.put("bytesDone", bytesDone.get());
      if (!error.get().isEmpty()) {
        j.put("error", error.get());
      }
      return j;
    }
  }

  private final byte[] token;
  private final Supplier<AdminActions> actionsOf;
  private final ExecutorService executor;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final AtomicLong nextJob = new AtomicLong();

  AdminApi(String token, Supplier<AdminActions> actions, ExecutorService executor) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.actionsOf = actions;
    this.executor = executor;
  }

  void handle(HttpExchange ex) throws IOException {
    try {
      if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"leasehold-admin\"");
        error(ex, 401, "unauthorized", "Send Authorization: Bearer <the site's admin token>.");
        return;
      }
      AdminActions actions = actionsOf.get();
      String path = ex.getRequestURI().getPath().substring("/admin/v1/".length());
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      String method = ex.getRequestMethod();
      switch (method + " " + (path.startsWith("jobs/") ? "jobs/" : path)) {
        case "GET sites" -> send(ex, 200, actions.sites());
        case "GET cache" -> send(ex, 200, actions.cache());
        case "GET buckets" -> send(ex, 200, actions.buckets());
        case "GET lease" -> send(ex, 200, actions.lease(need(q, "bucket"), need(q, "key")));
        case "GET leases" ->
            send(
                ex,
                200,
                actions.leases(
                    need(q, "bucket"),
                    q.getOrDefault("prefix", ""),
                    Integer.parseInt(q.getOrDefault("limit", "1000"))));
        case "POST warm" ->
            send(ex, 202, warm(actions, need(q, "bucket"), q.getOrDefault("prefix", "")));
        case "POST evict" -> {
          long n = actions.evict(need(q, "bucket"), q.getOrDefault("prefix", ""));
          send(ex, 200, Map.of("evictedChunks", n));
        }
        case "POST write-mode" -> {
          String policy = q.getOrDefault("policy", "adaptive");
          actions.setWriteMode(need(q, "bucket"), need(q, "mode"), policy);
          send(
              ex,
              200,
              Map.of("bucket", q.get("bucket"), "writeMode", q.get("mode"), "policy", policy));
        }
        case "POST prefix-lease" -> {
          String lease = actions.takePrefix(need(q, "bucket"), need(q, "prefix"));
          send(ex, 200, Map.of("lease", lease));
        }
        case "POST prefix-release" -> {
          boolean held = actions.givePrefixBack(need(q, "bucket"), need(q, "prefix"));
          send(ex, 200, Map.of("wasHeld", held));
        }
        case "POST declare-lost" -> {
          List<String> lost = actions.declareLost(need(q, "site"));
          send(ex, 200, Map.of("site", q.get("site"), "lost", lost));
        }
        case "GET coordinator" -> send(ex, 200, actions.changeCoordinatorGroup("show", "", ""));
        case "POST coordinator/add-peer" ->
            send(
                ex,
                200,
                actions.changeCoordinatorGroup("add-peer", need(q, "id"), need(q, "address")));
        case "POST coordinator/remove-peer", "POST coordinator/transfer-leader" ->
            send(
                ex,
                200,
                actions.changeCoordinatorGroup(
                    path.substring("coordinator/".length()), need(q, "id"), ""));
        case "POST pin" -> {
          actions.pin(need(q, "bucket"), q.getOrDefault("prefix", ""));
          send(ex, 200, Map.of("pinned", true));
        }
        case "POST unpin" -> {
          boolean was = actions.unpin(need(q, "bucket"), q.getOrDefault("prefix", ""));
          send(ex, 200, Map.of("wasPinned", was));
        }
        case "GET jobs/" -> {
          Job job = jobs.get(path.substring("jobs/".length()));
          if (job == null) {
            error(ex, 404, "not found", "No such job.");
          } else {
            send(ex, 200, job.json());
          }
        }
        default -> error(ex, 404, "not found", "No " + method + " /admin/v1/" + path + ".");
      }
    } catch (IllegalArgumentException e) {
      error(ex, 400, "bad request", String.valueOf(e.getMessage()));
    } catch (RuntimeException e) {
      error(ex, 500, "failed", String.valueOf(e.getMessage()));
    }
  }

  private Map<String, Object> warm(AdminActions actions, String bucket, String prefix) {
    Job job = new Job(Long.toString(nextJob.incrementAndGet()), "warm " + bucket + "/" + prefix);
    jobs.put(job.id, job);
    executor.execute(() -> {
      try {
        actions.warm(bucket, prefix, job);
        job.state.set("done");
      } catch (RuntimeException e) {
        job.error.set(String.valueOf(e.getMessage()));
        job.state.set("failed");
      }
    });
    return job.json();
  }

  private boolean authorized(String header) {
    if (header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
  }

  private static String need(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("The query parameter " + name + " is required.");
    }
    return v;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return q;
  }

  private static void error(HttpExchange ex, int status, String error, String message)
      throws IOException {
    send(ex, status, Map.of("error", error, "message", message));
  }

  private static void send(HttpExchange ex, int status, Object body) throws IOException {
    AdminServer.sendJson(ex, status, body);
  }
}
