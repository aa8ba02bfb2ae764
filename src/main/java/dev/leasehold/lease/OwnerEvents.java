package dev.leasehold.lease;

import java.util.List;

/**
 * What the coordinator asks of the owner of write-back data, as the site's flusher answers it. Each
 * call runs on its own virtual thread.
 */
public interface OwnerEvents {
  /** The coordinator recalls WRITE of an element this site owns: flush it, then hand it over. */
  void recalled(String bucket, String key);

  /** The coordinator recalls a prefix lease: close it, flush everything under it, release it. */
  void prefixRecalled(PrefixLease lease);

  /**
   * The site registered again and took back, under new grants, what is dirty at it: elements, and
   * prefix leases (not yet open: what the journal holds under them is to be adopted first).
   */
  void reclaimed(List<WriteLease> owned, List<PrefixLease> prefixes);

  /**
   * The coordinator says this site owns an element dirty that it does not hold as owned (a commit
   * of it failed without a clear answer): the lease with the journal's latest version of it.
   */
  WriteLease adopt(WriteLease fromCoordinator);

  /** A prefix lease was granted (not yet in use): journal leftovers under it are dropped. */
  void prefixGranted(PrefixLease lease);

  OwnerEvents NONE =
      new OwnerEvents() {
        @Override
        public void recalled(String bucket, String key) {}

        @Override
        public void prefixRecalled(PrefixLease lease) {}

        @Override
        public void reclaimed(List<WriteLease> owned, List<PrefixLease> prefixes) {}

        @Override
        public WriteLease adopt(WriteLease fromCoordinator) {
          return fromCoordinator;
        }

        @Override
        public void prefixGranted(PrefixLease lease) {}
      };
}
