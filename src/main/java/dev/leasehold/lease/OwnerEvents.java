package dev.leasehold.lease;

import java.util.List;

/**
 * What the coordinator asks of the owner of write-back data, as the site's flusher answers it. Each
 * call runs on its own virtual thread.
 */
public interface OwnerEvents {
  /** The coordinator recalls WRITE of an element this site owns: flush it, then hand it over. */
  void recalled(String bucket, String key);

  /** The site registered again and took back, under new grants, what is dirty at it. */
  void reclaimed(List<WriteLease> owned);

  OwnerEvents NONE =
      new OwnerEvents() {
        @Override
        public void recalled(String bucket, String key) {}

        @Override
        public void reclaimed(List<WriteLease> owned) {}
      };
}
