package dev.leasehold.site;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;

/** A write of a whole object. Immutable. */
public record PutRequest(
    String bucket, String key, ObjectMetadata metadata, WriteCondition condition) {}
