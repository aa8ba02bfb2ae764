package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.origin.Origin;
import java.util.ArrayList;
import java.util.List;

/**
 * The list path: one page of a bucket's keys from the origin. S3 never lists a common prefix that
 * does not sort after the marker (so resuming after a common prefix does not list it again); this
 * step holds every origin to that rule. Thread-safe.
 */
final class ListPath {
  private static final int MAX_ROUNDS = 1000;

  private final Origin origin;

  ListPath(Origin origin) {
    this.origin = origin;
  }

  Listing list(String bucket, ListRequest request) {
    if (request.maxKeys() == 0) {
      if (!origin.bucketExists(bucket)) {
        throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
      }
      return new Listing(List.of(), List.of(), false);
    }
    String marker = request.startAfter();
    ListRequest ask = request;
    for (int round = 0; ; round++) {
      Listing page = origin.list(bucket, ask);
      if (marker == null || marker.isEmpty()) {
        return page;
      }
      List<String> prefixes = new ArrayList<>();
      for (String p : page.commonPrefixes()) {
        if (KeyOrder.compare(p, marker) > 0) {
          prefixes.add(p);
        }
      }
      if (prefixes.size() == page.commonPrefixes().size()) {
        return page;
      }
      if (!page.objects().isEmpty()
          || !prefixes.isEmpty()
          || !page.truncated()
          || round >= MAX_ROUNDS) {
        return new Listing(page.objects(), prefixes, page.truncated());
      }
      // The page held only the marker's own common prefix: skip past everything under it.
      String skipped = page.commonPrefixes().get(page.commonPrefixes().size() - 1);
      ask =
          new ListRequest(
              request.prefix(),
              request.delimiter(),
              KeyOrder.pastPrefix(skipped),
              request.maxKeys());
    }
  }
}
