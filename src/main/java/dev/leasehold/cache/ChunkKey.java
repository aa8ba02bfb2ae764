package dev.leasehold.cache;

/**
 * One chunk of one version of an object: chunk {@code index} covers bytes {@code [index *
 * chunkSize, (index + 1) * chunkSize)} of the version with entity tag {@code etag}. Immutable.
 */
public record ChunkKey(String bucket, String key, String etag, long index) {}
