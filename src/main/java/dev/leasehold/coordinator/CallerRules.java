package dev.leasehold.coordinator;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.tls.Caller;
import dev.leasehold.tls.Role;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Who may ask what of the coordinator over mutual TLS (docs/security.md): a site registers only
 * under the name in its certificate and acts only under its own sessions; commands that change the
 * namespace for everyone (declaring a site lost, a bucket's write mode) come only from an
 * operator's certificate; anyone of the namespace may read its status. Stateless: the session
 * owners come from the caller's view of the table.
 */
final class CallerRules {
  /** The commands only an operator may send. */
  static final Set<Command.CommandCase> OPERATOR_COMMANDS =
      EnumSet.of(Command.CommandCase.DECLARE_LOST, Command.CommandCase.SET_BUCKET_MODE);

  private CallerRules() {}

  /**
   * Why {@code caller} may not send {@code request}, or null if it may.
   *
   * @param siteOf the site a session belongs to, or empty if this peer does not know it (not yet
   *     applied, or expired: the table then refuses the request itself)
   */
  static @Nullable String refusal(Caller caller, SiteRequest request, LongFunction<String> siteOf) {
    switch (request.getRequestCase()) {
      case REGISTER -> {
        String site = request.getRegister().getSite();
        if (caller.role() != Role.NODE || !caller.name().equals(site)) {
          return caller + " may not register as site " + site;
        }
        return null;
      }
      case COMMAND -> {
        Command command = request.getCommand();
        if (OPERATOR_COMMANDS.contains(command.getCommandCase())) {
          return caller.isOperator()
              ? null
              : caller + " may not send " + command.getCommandCase() + ": operators only";
        }
        if (command.getCommandCase() == Command.CommandCase.INSPECT) {
          return null; // reads the table, as Status does
        }
        return sessionRefusal(caller, inner(command), siteOf);
      }
      default -> {
        return sessionRefusal(caller, inner(request), siteOf);
      }
    }
  }

  /** Why {@code caller} may not use session {@code session}, or null if it may. */
  static @Nullable String sessionRefusal(Caller caller, long session, LongFunction<String> siteOf) {
    if (caller.role() != Role.NODE && !caller.isOperator()) {
      return caller + " may only read the namespace's status";
    }
    if (session == 0) {
      return null;
    }
    String owner = siteOf.apply(session);
    if (!owner.isEmpty() && !owner.equals(caller.name())) {
      return caller + " may not act under session " + session + " of site " + owner;
    }
    if (caller.role() != Role.NODE) {
      return caller + " holds no session";
    }
    return null;
  }

  /**
   * Why {@code caller} may not follow the recall stream of {@code session}, or null if it may: a
   * stream is its session's site's alone, so here a session this peer does not know is refused too
   * (the site opens its stream again at the next peer).
   */
  static @Nullable String recallsRefusal(Caller caller, long session, LongFunction<String> siteOf) {
    String refusal = sessionRefusal(caller, session, siteOf);
    if (refusal != null) {
      return refusal;
    }
    return caller.name().equals(siteOf.apply(session))
        ? null
        : caller + " may not follow recalls of session " + session;
  }

  private static @Nullable String sessionRefusal(
      Caller caller, @Nullable Message inner, LongFunction<String> siteOf) {
    return sessionRefusal(caller, inner == null ? 0 : sessionOf(inner), siteOf);
  }

  /** The message a oneof holds: the one set field of message type, or null. */
  private static @Nullable Message inner(Message outer) {
    for (var e : outer.getAllFields().entrySet()) {
      if (e.getValue() instanceof Message m) {
        return m;
      }
    }
    return null;
  }

  /** The session a request acts under: its {@code session} field, 0 if it has none. */
  private static long sessionOf(Message message) {
    FieldDescriptor f = message.getDescriptorForType().findFieldByName("session");
    return f != null && f.getType() == FieldDescriptor.Type.UINT64 ? (Long) message.getField(f) : 0;
  }
}
