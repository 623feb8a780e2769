package dev.stratus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * A store on this host over plain HTTP gets its requests signed as over TLS: the headers, and no SHA-256 of the
 * payload, which the SDK's own signer computes over plain HTTP. ({@link ObjectStoreTest} round-trips objects through
 * the embedded server with it, and holds a wrong secret to be refused.)
 */
class LoopbackSigningTest {
  private static final String BODY = "a partition's bytes";

  @Test
  void appliesToPlainHttpOnThisHostsLoopbackOnly() {
    assertTrue(LoopbackSigning.appliesTo(URI.create("http://127.0.0.1:9000")));
    assertTrue(LoopbackSigning.appliesTo(URI.create("http://localhost:9000")));
    assertTrue(LoopbackSigning.appliesTo(URI.create("http://[::1]:9000")));
    assertFalse(LoopbackSigning.appliesTo(URI.create("https://127.0.0.1:9000")), "TLS: the SDK signs so itself");
    assertFalse(LoopbackSigning.appliesTo(URI.create("http://10.200.0.2:9000")), "another host's store");
    assertFalse(LoopbackSigning.appliesTo(URI.create("http://127.0.0.1")), "port 80: no port in its host header");
    assertFalse(LoopbackSigning.appliesTo(URI.create("http://127.0.0.1:443")), "no port in it as over TLS");
    assertFalse(LoopbackSigning.appliesTo(null));
  }

  @Test
  void signsTheHeadersOfAPlainHttpUploadButNotItsPayload() throws Exception {
    String sdkHash = signed(AwsV4HttpSigner.create()).request().firstMatchingHeader("x-amz-content-sha256")
        .orElseThrow();
    String payloadSha256 = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(BODY.getBytes(StandardCharsets.UTF_8)));
    assertEquals(payloadSha256, sdkHash, "the SDK's own signer hashes the payload over plain HTTP, asked or not");

    SignedRequest ours = signed(LoopbackSigning.authScheme().signer());
    assertEquals("UNSIGNED-PAYLOAD", ours.request().firstMatchingHeader("x-amz-content-sha256").orElseThrow());
    assertTrue(ours.request().firstMatchingHeader("Authorization").orElseThrow().startsWith("AWS4-HMAC-SHA256 "),
        "the request is still signed");
    assertEquals("http", ours.request().protocol(), "and sent as it was");
    assertEquals(9000, ours.request().port());
  }

  /** A PUT signed as the S3 client asks its signer to: no payload signing, which only TLS lets the SDK skip. */
  private static SignedRequest signed(HttpSigner<AwsCredentialsIdentity> signer) {
    SdkHttpRequest put = SdkHttpRequest.builder().method(SdkHttpMethod.PUT).protocol("http").host("127.0.0.1")
        .port(9000).encodedPath("/bucket/key").build();
    return signer.sign(r -> r.identity(AwsCredentialsIdentity.create("STRATUSKEY", "secret"))
        .request(put)
        .payload(ContentStreamProvider.fromUtf8String(BODY))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false));
  }
}
