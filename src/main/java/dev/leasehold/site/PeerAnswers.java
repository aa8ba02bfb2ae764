package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.peer.PeerRead;
import dev.leasehold.peer.PeerService;
import dev.leasehold.peer.ReadReply;
import dev.leasehold.peer.Unflushed;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The owner's side of a redirect: another site's request for an object, served here as if a client
 * of this site had made it, with no further redirect (so requests never go round), under this
 * site's own leases; and what this site holds unflushed under a prefix, for another site's LIST.
 * The {@link dev.leasehold.peer.PeerServer} calls it.
 *
 * <p>Thread-safe: it holds only thread-safe parts of the site.
 */
final class PeerAnswers implements PeerService {
  private final ReadPath reads;
  private final BucketBindings buckets;
  private final Leases leases;

  PeerAnswers(ReadPath reads, BucketBindings buckets, Leases leases) {
    this.reads = reads;
    this.buckets = buckets;
    this.leases = leases;
  }

  @Override
  public String secret() {
    return leases.peerSecret();
  }

  @Override
  public Served read(PeerRead r) {
    GetRequest request =
        new GetRequest(
            r.bucket(),
            r.key(),
            ByteRange.parse(r.range()),
            r.partNumber(),
            new Preconditions(
                r.ifMatch(), r.ifNoneMatch(), r.ifModifiedSince(), r.ifUnmodifiedSince()));
    if (r.ownedOnly()
        && leases.owned(r.bucket(), r.key()) == null
        && leases.prefixFor(r.bucket(), r.key()) == null) {
      // Asked straight here on an old redirect: no longer this site's to answer for.
      return new Served(new ReadReply.NotOwner(), out -> {});
    }
    ObjectRead read;
    try {
      buckets.check(request.bucket());
      read = reads.read(request, r.body(), false);
    } catch (NotModifiedException e) {
      return new Served(new ReadReply.NotModified(e.version()), out -> {});
    }
    ReadReply reply =
        new ReadReply.Found(
            read.info(),
            read.span().offset(),
            read.span().length(),
            read.partial(),
            read.partsCount());
    return new Served(
        reply, out -> read.transferTo((file, position, count) -> copy(file, position, count, out)));
  }

  @Override
  public List<Unflushed> unflushed(String bucket, String prefix) {
    return unflushed(leases, bucket, prefix);
  }

  /**
   * What this site holds unflushed under a prefix, in key order: every owned key whose latest
   * version is in its journal (written under an element's grant or a prefix lease).
   */
  static List<Unflushed> unflushed(Leases leases, String bucket, String prefix) {
    if (!leases.reclaimed()) {
      // Back from a restart, it has not yet taken its journal back: its dirty keys are unknown.
      throw S3Error.SERVICE_UNAVAILABLE.exception(
          "Site "
              + leases.site()
              + ", which holds unflushed writes under this prefix, is taking them back after a"
              + " restart; the listing is unavailable until it has.");
    }
    List<Unflushed> out = new ArrayList<>();
    for (WriteLease l : leases.ownedUnder(bucket, prefix)) {
      if (l.dirty()) {
        out.add(new Unflushed(l.key(), l.info()));
      }
    }
    out.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
    return out;
  }

  private static void copy(FileChannel file, long position, long count, WritableByteChannel to)
      throws IOException {
    try (file) {
      long done = 0;
      while (done < count) {
        long n = file.transferTo(position + done, count - done, to);
        if (n <= 0) {
          throw new IOException("a chunk ended early");
        }
        done += n;
      }
    }
  }
}
