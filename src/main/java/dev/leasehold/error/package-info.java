/**
 * The one error type of Leasehold: an {@link dev.leasehold.error.S3Exception} carries an S3 error
 * code and HTTP status from wherever it is raised (origin, cache, site, S3 front end) to the one
 * place that renders it as S3 error XML.
 *
 * <p>Every other package may use this one; it uses none of them.
 */
@NullMarked
package dev.leasehold.error;

import org.jspecify.annotations.NullMarked;
