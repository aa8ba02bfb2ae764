package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import dev.leasehold.object.CompletedPart;
import java.nio.charset.StandardCharsets;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class XmlRequestsTest {
  static byte[] xml(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void deleteWithAndWithoutNamespace() {
    var d =
        XmlRequests.delete(
            xml(
                "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
                    + "<Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>"));
    assertThat(d.quiet()).isTrue();
    assertThat(d.keys()).containsExactly("a & b", "c");
    assertThat(d.versionIds()).containsExactly(null, "null");
    assertThat(XmlRequests.delete(xml("<Delete><Object><Key>x</Key></Object></Delete>")).quiet())
        .isFalse();
  }

  @Test
  void completeMultipartUpload() {
    var parts =
        XmlRequests.completeMultipartUpload(
            xml(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag>"
                    + "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ETag>bb</ETag><PartNumber>2</PartNumber></Part>"
                    + "</CompleteMultipartUpload>"));
    assertThat(parts)
        .containsExactly(
            new CompletedPart(1, "aa", new dev.leasehold.object.Checksum("CRC32", "AAAAAA==")),
            new CompletedPart(2, "bb"));
  }

  @Test
  void locationConstraint() {
    assertThat(XmlRequests.locationConstraint(new byte[0])).isNull();
    assertThat(
            XmlRequests.locationConstraint(
                xml(
                    "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>")))
        .isEqualTo("eu-west-1");
  }

  @Test
  void malformedAndHostileDocumentsAreMalformedXml() {
    String[] bad = {
      "",
      "<Delete>",
      "<Delete><Object></Object></Delete>",
      "<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>",
      "<Other/>",
      "<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
      "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><Delete><Object><Key>&b;</Key></Object></Delete>",
    };
    for (String doc : bad) {
      assertMalformedXml(() -> XmlRequests.delete(xml(doc)), doc);
    }
    assertMalformedXml(
        () ->
            XmlRequests.completeMultipartUpload(
                xml(
                    "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>")),
        "PartNumber x");
  }

  private static void assertMalformedXml(ThrowingCallable parse, String what) {
    assertThatThrownBy(parse)
        .as(what)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).error().code()).isEqualTo("MalformedXML");
          assertThat(((S3Exception) e).error().status()).isEqualTo(400);
        });
  }
}
