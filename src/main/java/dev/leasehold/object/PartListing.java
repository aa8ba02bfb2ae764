package dev.leasehold.object;

import java.util.List;

/**
 * A page of the parts of an upload, by part number. Immutable.
 *
 * @param parts the parts after the marker
 * @param truncated whether more parts follow
 */
public record PartListing(List<PartInfo> parts, boolean truncated) {
  public PartListing {
    parts = List.copyOf(parts);
  }
}
