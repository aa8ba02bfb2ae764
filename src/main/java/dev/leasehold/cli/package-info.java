/**
 * The command line ({@code leasehold serve}, ...), configuration loading, and the wiring that
 * assembles a running site from the other packages. The only package that may use every other.
 */
@NullMarked
package dev.leasehold.cli;

import org.jspecify.annotations.NullMarked;
