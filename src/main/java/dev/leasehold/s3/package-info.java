/**
 * The S3 front end: HTTP on Netty event loops, parsed into S3 operations (path-style and
 * virtual-host style), authenticated with Signature V4, run on virtual threads against the site's
 * {@link dev.leasehold.site.Gateway}, and answered in S3's XML and errors.
 *
 * <p>Event loops only parse and move bytes; everything that may block runs on the request's virtual
 * thread. Each connection serves one request at a time.
 */
@NullMarked
package dev.leasehold.s3;

import org.jspecify.annotations.NullMarked;
