package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.Acl;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectLock;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Parses the XML documents S3 requests carry: CreateBucketConfiguration, Delete and
 * CompleteMultipartUpload. Namespaces are ignored (clients differ in sending S3's); DTDs and
 * external entities are refused. Anything that does not match the schema is {@code MalformedXML}.
 *
 * <p>Stateless; thread-safe (a parser is made per document).
 */
final class XmlRequests {
  /** The objects a DeleteObjects names, and whether it asked for quiet mode. Immutable. */
  record Delete(List<String> keys, List<@Nullable String> versionIds, boolean quiet) {}

  /**
   * A VersioningConfiguration: its {@code Status} and {@code MfaDelete}, each null if absent.
   * Immutable.
   */
  record Versioning(@Nullable String status, @Nullable String mfaDelete) {}

  /** A Retention document: its Mode and RetainUntilDate as written, each null if absent. */
  record Retention(@Nullable String mode, @Nullable String retainUntil) {}

  private XmlRequests() {}

  /**
   * An ObjectLockConfiguration: {@code ObjectLockEnabled} must be {@code Enabled}; a default
   * retention names a mode and either days or years ({@code MalformedXML} otherwise), each a
   * positive number ({@code InvalidRetentionPeriod}).
   */
  static LockConfiguration objectLockConfiguration(byte[] body) {
    Element root = parse(body, "ObjectLockConfiguration");
    Element enabled = child(root, "ObjectLockEnabled");
    if (enabled == null || !enabled.getTextContent().trim().equals("Enabled")) {
      throw malformed();
    }
    Element rule = child(root, "Rule");
    if (rule == null) {
      return LockConfiguration.ENABLED;
    }
    Element retention = child(rule, "DefaultRetention");
    Element mode = retention == null ? null : child(retention, "Mode");
    if (retention == null || mode == null) {
      throw malformed();
    }
    ObjectLock.Mode parsed;
    try {
      parsed = ObjectLock.Mode.valueOf(mode.getTextContent().trim());
    } catch (IllegalArgumentException e) {
      throw malformed();
    }
    Element days = child(retention, "Days");
    Element years = child(retention, "Years");
    if ((days == null) == (years == null)) {
      throw malformed();
    }
    int n;
    try {
      n = Integer.parseInt((days != null ? days : years).getTextContent().trim());
    } catch (NumberFormatException e) {
      throw malformed();
    }
    if (n <= 0) {
      throw S3Error.INVALID_RETENTION_PERIOD.exception();
    }
    return days != null ? new LockConfiguration(parsed, n, 0) : new LockConfiguration(parsed, 0, n);
  }

  /** A PutObjectRetention body. */
  static Retention retention(byte[] body) {
    Element root = parse(body, "Retention");
    Element mode = child(root, "Mode");
    Element until = child(root, "RetainUntilDate");
    return new Retention(
        mode == null ? null : mode.getTextContent().trim(),
        until == null ? null : until.getTextContent().trim());
  }

  /** The Status of a PutObjectLegalHold body, as written. */
  static String legalHold(byte[] body) {
    Element status = child(parse(body, "LegalHold"), "Status");
    if (status == null) {
      throw malformed();
    }
    return status.getTextContent().trim();
  }

  /**
   * The body of a PutBucketVersioning; a status other than {@code Enabled} or {@code Suspended} is
   * {@code IllegalVersioningConfigurationException}, as S3 answers.
   */
  static Versioning versioning(byte[] body) {
    Element root = parse(body, "VersioningConfiguration");
    String status = null;
    String mfa = null;
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      switch (e.getLocalName()) {
        case "Status" -> status = e.getTextContent().trim();
        case "MfaDelete" -> mfa = e.getTextContent().trim();
        default -> throw malformed();
      }
    }
    if (status != null && !status.equals("Enabled") && !status.equals("Suspended")) {
      throw S3Error.ILLEGAL_VERSIONING_CONFIGURATION.exception();
    }
    if (mfa != null && !mfa.equals("Enabled") && !mfa.equals("Disabled")) {
      throw S3Error.ILLEGAL_VERSIONING_CONFIGURATION.exception();
    }
    return new Versioning(status, mfa);
  }

  /**
   * The grants of a PutBucketAcl or PutObjectAcl body: to a canonical user by {@code ID}, or to a
   * group by {@code URI}. An e-mail grantee is {@code UnresolvableGrantByEmailAddress} (no account
   * here has an e-mail address); an unknown group or permission {@code MalformedACLError}.
   */
  static List<Acl.Grant> accessControlPolicy(byte[] body) {
    Element root = parse(body, "AccessControlPolicy");
    Element list = child(root, "AccessControlList");
    List<Acl.Grant> grants = new ArrayList<>();
    if (list == null) {
      return grants;
    }
    for (Node n = list.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      Element grantee = child(e, "Grantee");
      Element permission = child(e, "Permission");
      if (!e.getLocalName().equals("Grant") || grantee == null || permission == null) {
        throw malformed();
      }
      Acl.Permission granted = permission(permission.getTextContent().trim());
      Element id = child(grantee, "ID");
      Element uri = child(grantee, "URI");
      if (child(grantee, "EmailAddress") != null) {
        throw S3Error.UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS.exception();
      }
      if (id != null && !id.getTextContent().isBlank()) {
        grants.add(Acl.Grant.user(id.getTextContent().trim(), granted));
      } else if (uri != null) {
        Acl.Group group = Acl.Group.ofUri(uri.getTextContent().trim());
        if (group == null) {
          throw S3Error.MALFORMED_ACL_ERROR.exception();
        }
        grants.add(Acl.Grant.group(group, granted));
      } else {
        throw S3Error.MALFORMED_ACL_ERROR.exception();
      }
    }
    return grants;
  }

  /** A permission's name; {@code MalformedACLError} if it is none. */
  static Acl.Permission permission(String name) {
    try {
      return Acl.Permission.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw S3Error.MALFORMED_ACL_ERROR.exception();
    }
  }

  /** The rules of a PutBucketCors body, as written (checked by {@link CorsRule#of}). */
  static List<CorsRule> corsConfiguration(byte[] body) {
    Element root = parse(body, "CORSConfiguration");
    List<CorsRule> rules = new ArrayList<>();
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      if (!e.getLocalName().equals("CORSRule")) {
        throw malformed();
      }
      String id = null;
      Integer maxAge = null;
      List<String> origins = new ArrayList<>();
      List<String> methods = new ArrayList<>();
      List<String> headers = new ArrayList<>();
      List<String> expose = new ArrayList<>();
      for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
        if (!(c instanceof Element f)) {
          continue;
        }
        String text = f.getTextContent().trim();
        switch (f.getLocalName()) {
          case "ID" -> id = text;
          case "AllowedOrigin" -> origins.add(text);
          case "AllowedMethod" -> methods.add(text);
          case "AllowedHeader" -> headers.add(text);
          case "ExposeHeader" -> expose.add(text);
          case "MaxAgeSeconds" -> {
            try {
              maxAge = Integer.parseInt(text);
            } catch (NumberFormatException ex) {
              throw malformed();
            }
          }
          default -> throw malformed();
        }
      }
      rules.add(CorsRule.of(id, origins, methods, headers, expose, maxAge));
    }
    if (rules.isEmpty()) {
      throw malformed();
    }
    return rules;
  }

  /**
   * The tags of a Tagging body, in order, checked as S3 checks them (Amazon S3 User Guide,
   * "Categorizing your storage using tags"): at most {@code max}, keys of 1 to 128 characters and
   * values of at most 256, no key twice; 400 {@code InvalidTag} otherwise.
   */
  static java.util.LinkedHashMap<String, String> tagging(byte[] body, int max) {
    Element root = parse(body, "Tagging");
    Element set = child(root, "TagSet");
    if (set == null) {
      throw malformed();
    }
    java.util.LinkedHashMap<String, String> tags = new java.util.LinkedHashMap<>();
    for (Node n = set.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      Element key = child(e, "Key");
      Element value = child(e, "Value");
      if (!e.getLocalName().equals("Tag") || key == null || value == null) {
        throw malformed();
      }
      String k = key.getTextContent();
      String v = value.getTextContent();
      if (k.isEmpty() || k.codePointCount(0, k.length()) > 128) {
        throw S3Error.INVALID_TAG.exception("The TagKey you have provided is invalid");
      }
      if (v.codePointCount(0, v.length()) > 256) {
        throw S3Error.INVALID_TAG.exception("The TagValue you have provided is invalid");
      }
      if (tags.put(k, v) != null) {
        throw S3Error.INVALID_TAG.exception("Cannot provide multiple Tags with the same key");
      }
    }
    if (tags.size() > max) {
      throw S3Error.INVALID_TAG.exception(
          "Object tags cannot be greater than " + max + " for a bucket");
    }
    return tags;
  }

  /**
   * The four switches of a PublicAccessBlockConfiguration body, in the order BlockPublicAcls,
   * IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets; an absent one is false.
   */
  static boolean[] publicAccessBlock(byte[] body) {
    Element root = parse(body, "PublicAccessBlockConfiguration");
    String[] names = {
      "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"
    };
    boolean[] on = new boolean[names.length];
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        int i = java.util.Arrays.asList(names).indexOf(e.getLocalName());
        if (i < 0) {
          throw malformed();
        }
        on[i] = bool(e);
      }
    }
    return on;
  }

  /** The ObjectOwnership of a PutBucketOwnershipControls body. */
  static String objectOwnership(byte[] body) {
    Element rule = child(parse(body, "OwnershipControls"), "Rule");
    Element ownership = rule == null ? null : child(rule, "ObjectOwnership");
    if (ownership == null) {
      throw malformed();
    }
    return ownership.getTextContent().trim();
  }

  /** The Payer of a PutBucketRequestPayment body: BucketOwner or Requester. */
  static String payer(byte[] body) {
    Element payer = child(parse(body, "RequestPaymentConfiguration"), "Payer");
    String value = payer == null ? "" : payer.getTextContent().trim();
    if (!value.equals("BucketOwner") && !value.equals("Requester")) {
      throw malformed();
    }
    return value;
  }

  /** The LocationConstraint of a CreateBucket body, or null for none (or no body). */
  static @Nullable String locationConstraint(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    Element root = parse(body, "CreateBucketConfiguration");
    Element location = child(root, "LocationConstraint");
    return location == null ? null : location.getTextContent().trim();
  }

  static Delete delete(byte[] body) {
    Element root = parse(body, "Delete");
    boolean quiet = false;
    List<String> keys = new ArrayList<>();
    List<@Nullable String> versions = new ArrayList<>();
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      switch (e.getLocalName()) {
        case "Quiet" -> quiet = bool(e);
        case "Object" -> {
          Element key = child(e, "Key");
          if (key == null) {
            throw malformed();
          }
          keys.add(key.getTextContent());
          Element version = child(e, "VersionId");
          versions.add(version == null ? null : version.getTextContent().trim());
        }
        default -> throw malformed();
      }
    }
    if (keys.isEmpty()) {
      throw malformed();
    }
    return new Delete(keys, versions, quiet);
  }

  static List<CompletedPart> completeMultipartUpload(byte[] body) {
    Element root = parse(body, "CompleteMultipartUpload");
    List<CompletedPart> parts = new ArrayList<>();
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!(n instanceof Element e)) {
        continue;
      }
      if (!e.getLocalName().equals("Part")) {
        throw malformed();
      }
      Element number = child(e, "PartNumber");
      Element etag = child(e, "ETag");
      if (number == null || etag == null) {
        throw malformed();
      }
      int partNumber;
      try {
        partNumber = Integer.parseInt(number.getTextContent().trim());
      } catch (NumberFormatException ex) {
        throw malformed();
      }
      String tag = etag.getTextContent().trim();
      if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
        tag = tag.substring(1, tag.length() - 1);
      }
      Checksum checksum = null;
      for (String algorithm : Checksum.ALGORITHMS) {
        Element given = child(e, "Checksum" + algorithm);
        if (given != null) {
          if (checksum != null) {
            throw malformed();
          }
          checksum = new Checksum(algorithm, given.getTextContent().trim());
        }
      }
      parts.add(new CompletedPart(partNumber, tag, checksum));
    }
    if (parts.isEmpty()) {
      throw malformed();
    }
    return parts;
  }

  private static Element parse(byte[] body, String rootName) {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      DocumentBuilder builder = f.newDocumentBuilder();
      builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
      Document doc = builder.parse(new ByteArrayInputStream(body));
      Element root = doc.getDocumentElement();
      if (!rootName.equals(root.getLocalName())) {
        throw malformed();
      }
      return root;
    } catch (dev.leasehold.error.S3Exception e) {
      throw e;
    } catch (Exception e) {
      throw malformed().causedBy(e);
    }
  }

  private static @Nullable Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getLocalName())) {
        return e;
      }
    }
    return null;
  }

  private static boolean bool(Element e) {
    String v = e.getTextContent().trim();
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw malformed();
  }

  private static dev.leasehold.error.S3Exception malformed() {
    return S3Error.MALFORMED_XML.exception();
  }
}
