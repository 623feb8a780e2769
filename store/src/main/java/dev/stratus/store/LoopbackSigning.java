package dev.stratus.store;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 for a store on this host over plain HTTP, signed as the AWS SDK signs requests to S3 over TLS: every request's
 * headers, not a SHA-256 of its payload.
 *
 * <p>Over plain HTTP the SDK hashes every byte of an upload with SHA-256 (its signed chunks), so that the payload
 * cannot be changed on the way. On loopback nothing is on the way, and that hashing was a fifth of a Lambda
 * environment's samples in the load-normalize benchmark: Lambda's Java runtime stops the JIT at C1, which runs the
 * JDK's SHA-256 as plain Java, without the CPU's instructions C2 uses. A store elsewhere keeps the SDK's own
 * signing, and so does every store of a JVM given {@code -D}{@value #SIGN_PAYLOADS}{@code =true} (a store on this
 * host that wants payloads hashed; the load-normalize benchmark's baseline).
 */
final class LoopbackSigning {
  /** The system property that keeps the SDK's own signing on loopback too. */
  static final String SIGN_PAYLOADS = "stratus.store.signLoopbackPayloads";

  private LoopbackSigning() {}

  /**
   * Whether {@code endpoint} is plain HTTP to this host's loopback interface, on a port that is neither HTTP's nor
   * HTTPS's standard one (where the host header signed as over TLS would differ from the one sent), and payloads are
   * not to be hashed.
   */
  static boolean appliesTo(URI endpoint) {
    if (Boolean.getBoolean(SIGN_PAYLOADS)) {
      return false;
    }
    if (endpoint == null || !"http".equalsIgnoreCase(endpoint.getScheme()) || endpoint.getHost() == null
        || endpoint.getPort() == -1 || endpoint.getPort() == 80 || endpoint.getPort() == 443) {
      return false;
    }
    try {
      return InetAddress.getByName(endpoint.getHost()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** SigV4 whose signer signs as over TLS, for {@code S3ClientBuilder.putAuthScheme}. */
  static AwsV4AuthScheme authScheme() {
    AwsV4HttpSigner signer = new AsOverTls(AwsV4HttpSigner.create());
    return new AwsV4AuthScheme() {
      @Override
      public String schemeId() {
        return AwsV4AuthScheme.SCHEME_ID;
      }

      @Override
      public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
        return providers.identityProvider(AwsCredentialsIdentity.class);
      }

      @Override
      public AwsV4HttpSigner signer() {
        return signer;
      }
    };
  }

  /**
   * Signs a request as if it went over HTTPS, then sends it as it was. The scheme is not part of what SigV4 signs, and
   * the host header is the same on the non-standard ports {@link #appliesTo} requires.
   */
  private record AsOverTls(AwsV4HttpSigner signer) implements AwsV4HttpSigner {
    @Override
    public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
      SdkHttpRequest sent = request.request();
      SignedRequest signed = signer.sign(request.copy(r -> r.request(overTls(sent))));
      return signed.copy(r -> r.request(signed.request().toBuilder().protocol(sent.protocol()).build()));
    }

    @Override
    public CompletableFuture<AsyncSignedRequest> signAsync(
        AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
      SdkHttpRequest sent = request.request();
      return signer.signAsync(request.copy(r -> r.request(overTls(sent))))
          .thenApply(signed -> signed.copy(
              r -> r.request(signed.request().toBuilder().protocol(sent.protocol()).build())));
    }

    private static SdkHttpRequest overTls(SdkHttpRequest request) {
      return request.toBuilder().protocol("https").build();
    }
  }
}
