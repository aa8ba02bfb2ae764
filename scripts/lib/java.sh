# Finds a JDK 21 or newer and exports JAVA_HOME. Sourced by ./leasehold and scripts/test.
# Sets LEASEHOLD_JAVA_VERSION to its feature version (21, 25, ...).
# Order: $JAVA_HOME, then every JDK under /usr/lib/jvm (newest first), then `java` on PATH.

leasehold_java_version() {
  # Prints the feature version of the JDK at $1 (21, 25, ...), or nothing if it is not a JDK.
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

leasehold_find_java() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV) \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] || continue
    candidate=${candidate%/}
    version=$(leasehold_java_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      LEASEHOLD_JAVA_VERSION=$version
      if [ "$version" -ge 24 ]; then
        # Maven's own Guava calls sun.misc.Unsafe, which JDK 24+ warns about on every build.
        export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
      fi
      return 0
    fi
  done
  echo "leasehold: no JDK 21 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/*, and java on PATH)." >&2
  echo "leasehold: install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME." >&2
  return 1
}
