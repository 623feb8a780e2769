package dev.stratus.lambda.local;

import com.sun.net.httpserver.HttpExchange;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Checks the AWS Signature Version 4 of requests to the local service against the one key pair it accepts, made
 * at random when the service starts. The expected signature is computed by the AWS SDK's own signer over the request
 * as received, so canonicalization is the client's, and compared in constant time.
 */
final class RequestSignatures {
  /** How far a request's X-Amz-Date may be from this clock. */
  static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
  private static final String SERVICE = "lambda";
  private static final Pattern AUTHORIZATION = Pattern.compile("AWS4-HMAC-SHA256 Credential=([^/,\\s]+)/(\\d{8})/"
      + "([^/,\\s]+)/([^/,\\s]+)/aws4_request,\\s*SignedHeaders=([a-z0-9;-]+),\\s*Signature=([0-9a-f]{64})");
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final AwsBasicCredentials credentials;
  private final String region;
  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

  private RequestSignatures(AwsBasicCredentials credentials, String region) {
    this.credentials = credentials;
    this.region = region;
  }

  /** A fresh random key pair for {@code region}. */
  static RequestSignatures generate(String region) {
    SecureRandom random = new SecureRandom();
    byte[] id = new byte[10];
    byte[] secret = new byte[30];
    random.nextBytes(id);
    random.nextBytes(secret);
    return of(AwsBasicCredentials.create("LOCAL" + HexFormat.of().withUpperCase().formatHex(id),
        Base64.getEncoder().encodeToString(secret)), region);
  }

  /** The key pair {@code credentials} for {@code region}. */
  static RequestSignatures of(AwsBasicCredentials credentials, String region) {
    return new RequestSignatures(credentials, region);
  }

  AwsBasicCredentials credentials() {
    return credentials;
  }

  /** A request's claimed signature, checked as far as it can be before its body is read. */
  record Claim(Instant date, List<String> signedHeaders, String signature) {}

  /**
   * Checks the parts of the signature that need no body (present, our key, our region and service, a date close to
   * now), so an unsigned caller is refused before the service reads what it sends.
   */
  Claim claim(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null) {
      throw ApiException.forbidden("MissingAuthenticationTokenException", "Missing Authentication Token: the local"
          + " Lambda service takes only requests signed with its credentials (LocalLambdaService.clientBuilder())");
    }
    Matcher parts = AUTHORIZATION.matcher(authorization.trim());
    if (!parts.matches()) {
      throw ApiException.forbidden("IncompleteSignatureException",
          "the Authorization header is not an AWS4-HMAC-SHA256 signature with Credential, SignedHeaders, Signature");
    }
    if (!MessageDigest.isEqual(bytes(parts.group(1)), bytes(credentials.accessKeyId()))) {
      throw ApiException.forbidden("UnrecognizedClientException",
          "The security token included in the request is invalid: access key " + parts.group(1)
              + " is not this local Lambda service's");
    }
    if (!parts.group(3).equals(region) || !parts.group(4).equals(SERVICE)) {
      throw ApiException.forbidden("InvalidSignatureException", "Credential should be scoped to region " + region
          + " and service " + SERVICE + ", not " + parts.group(3) + "/" + parts.group(4));
    }
    Instant date = requestDate(exchange);
    if (!AMZ_DATE.format(date).startsWith(parts.group(2))) {
      throw ApiException.forbidden("InvalidSignatureException",
          "Credential date " + parts.group(2) + " is not the day of X-Amz-Date " + AMZ_DATE.format(date));
    }
    List<String> signedHeaders = List.of(parts.group(5).split(";"));
    if (!signedHeaders.contains("host") || !signedHeaders.contains("x-amz-date")) {
      throw ApiException.forbidden("IncompleteSignatureException", "SignedHeaders must include host and x-amz-date");
    }
    return new Claim(date, signedHeaders, parts.group(6));
  }

  private static Instant requestDate(HttpExchange exchange) {
    String value = exchange.getRequestHeaders().getFirst("X-Amz-Date");
    if (value == null) {
      throw ApiException.forbidden("IncompleteSignatureException", "the request has no X-Amz-Date header");
    }
    Instant date;
    try {
      date = AMZ_DATE.parse(value, Instant::from);
    } catch (DateTimeParseException e) {
      throw ApiException.forbidden("IncompleteSignatureException", "X-Amz-Date '" + value + "' is not yyyyMMddTHHmmssZ");
    }
    Instant now = Instant.now();
    if (Duration.between(date, now).abs().compareTo(MAX_CLOCK_SKEW) > 0) {
      throw ApiException.forbidden("InvalidSignatureException", "Signature expired: " + value + " is more than "
          + MAX_CLOCK_SKEW.toMinutes() + " minutes from the service's time " + AMZ_DATE.format(now));
    }
    return date;
  }

  /** Recomputes the signature of the request with {@code body} and refuses the request unless it is the claimed one. */
  void verify(Claim claim, HttpExchange exchange, byte[] body) {
    URI uri = exchange.getRequestURI();
    URI host = URI.create("http://" + exchange.getRequestHeaders().getFirst("Host"));
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder()
        .method(SdkHttpMethod.fromValue(exchange.getRequestMethod()))
        .protocol("http")
        .host(host.getHost())
        .port(host.getPort())
        .encodedPath(uri.getRawPath());
    if (uri.getRawQuery() != null) {
      for (String parameter : uri.getRawQuery().split("&")) {
        int equals = parameter.indexOf('=');
        String name = equals < 0 ? parameter : parameter.substring(0, equals);
        String value = equals < 0 ? "" : parameter.substring(equals + 1);
        request.appendRawQueryParameter(decode(name), decode(value));
      }
    }
    for (String name : claim.signedHeaders()) {
      List<String> values = exchange.getRequestHeaders().get(name);
      if (values == null) {
        throw mismatch();
      }
      request.putHeader(name, values);
    }
    SignedRequest signed = signer.sign(sign -> sign
        .identity(credentials)
        .request(request.build())
        .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(claim.date(), ZoneOffset.UTC)));
    String expected = signed.request().firstMatchingHeader("Authorization").orElse("");
    Matcher parts = AUTHORIZATION.matcher(expected);
    if (!parts.matches() || !MessageDigest.isEqual(bytes(parts.group(6)), bytes(claim.signature()))) {
      throw mismatch();
    }
  }

  private static ApiException mismatch() {
    return ApiException.forbidden("InvalidSignatureException", "The request signature we calculated does not match"
        + " the signature you provided. Check your AWS Secret Access Key and signing method.");
  }

  private static String decode(String encoded) {
    return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
