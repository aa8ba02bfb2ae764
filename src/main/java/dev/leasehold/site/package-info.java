/**
 * What a request does at a site: the read path, the write path, the list path and multipart
 * uploads, as separate named steps over the cache and the origin, behind the one interface the S3
 * front end calls ({@link dev.leasehold.site.Gateway}).
 *
 * <p>Every step that decides whether cached data may be served goes through {@link
 * dev.leasehold.site.LeaseVersionCheck}; every change of an object goes through {@link
 * dev.leasehold.site.WriteGuard}.
 */
@NullMarked
package dev.leasehold.site;

import org.jspecify.annotations.NullMarked;
