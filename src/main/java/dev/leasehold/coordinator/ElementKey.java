package dev.leasehold.coordinator;

import dev.leasehold.protocol.Element;

/** An element as a map key. Immutable. */
record ElementKey(String bucket, String key) {
  static ElementKey of(Element e) {
    return new ElementKey(e.getBucket(), e.getKey());
  }

  Element proto() {
    return Element.newBuilder().setBucket(bucket).setKey(key).build();
  }
}
