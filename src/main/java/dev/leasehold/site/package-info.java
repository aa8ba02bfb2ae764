/**
 * What a request does at a site: the read path, the write path, the list path and multipart
 * uploads, as separate named steps over the cache and the origin, behind the one interface the S3
 * front end calls ({@link dev.leasehold.site.Gateway}).
 *
 * <p>Every step that decides whether cached data may be served goes through {@link
 * dev.leasehold.site.VersionCheck}, where a lease check slots in.
 */
@NullMarked
package dev.leasehold.site;

import org.jspecify.annotations.NullMarked;
