package dev.leasehold.lease;

/** One element, as the site's lease parts key what they hold of it. Immutable. */
record LeaseKey(String bucket, String key) {}
