package dev.leasehold.coordinator;

import dev.leasehold.protocol.Element;

/** An element as a map key. Immutable. */
record ElementKey(String bucket, String key) {
  /** By bucket, then key in S3's order: the order a rule walks many elements in, on every peer. */
  static final java.util.Comparator<ElementKey> ORDER =
      java.util.Comparator.comparing(ElementKey::bucket)
          .thenComparing(ElementKey::key, dev.leasehold.object.KeyOrder::compare);

  static ElementKey of(Element e) {
    return new ElementKey(e.getBucket(), e.getKey());
  }

  Element proto() {
    return Element.newBuilder().setBucket(bucket).setKey(key).build();
  }
}
