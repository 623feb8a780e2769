package dev.stratus.ps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.ps.tls.ShardCertificate;
import dev.stratus.store.S3Path;
import java.net.InetSocketAddress;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ServerOptionsTest {
  private static final Map<String, String> SECRET = Map.of("SECRET", "s3cret");

  @Test
  void processOptionsDefaultToLoopbackAndNeedASecret() throws Exception {
    ShardConfig config =
        ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--shard", "2", "--port", "7070"}, SECRET);
    assertEquals("127.0.0.1", config.bind());
    assertEquals(7070, config.port());
    assertEquals(2, config.shard());
    assertEquals("s3cret", config.token());
    assertEquals(null, config.checkpoint());
    assertFalse(config.toString().contains("s3cret"), "the secret in a printed config: " + config);
    assertTrue(config.toString().contains("shard=2"), config.toString());

    ShardConfig checkpointed = ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--bind", "0.0.0.0",
        "--checkpoint", "s3://bucket/job", "--store-aws", "eu-west-1", "--snapshot-every", "30"}, SECRET);
    assertEquals("0.0.0.0", checkpointed.bind());
    assertEquals(S3Path.parse("s3://bucket/job"), checkpointed.checkpoint());
    assertEquals(30, checkpointed.snapshotEverySeconds());

    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--shard", "0"}, SECRET)).getMessage().contains("secret"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--checkpoint", "s3://b/k"}, SECRET))
        .getMessage().contains("needs a store"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--bogus", "1"}, SECRET))
        .getMessage().contains("--bogus"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parse(new String[] {"--token", "s3cret"}, Map.of())).getMessage()
        .contains("--token-env"), "a secret on the command line is refused");
  }

  @Test
  void aShardRestoresItsCheckpointUnlessToldItHoldsNothingOfItsYet() throws Exception {
    String[] checkpointed = {"--token-env", "SECRET", "--checkpoint", "s3://bucket/job", "--store-aws", "eu-west-1"};
    assertTrue(ServerCommandLine.parseLaunch(checkpointed, SECRET).restore());
    String[] fresh = {"--token-env", "SECRET", "--restore", "false", "--checkpoint", "s3://bucket/job", "--store-aws",
        "eu-west-1"};
    ServerCommandLine.Launch launch = ServerCommandLine.parseLaunch(fresh, SECRET);
    assertFalse(launch.restore());
    assertEquals(S3Path.parse("s3://bucket/job"), launch.config().checkpoint(), "the other options as ever");
    assertEquals("--restore must be true or false, got yes", assertThrows(IllegalArgumentException.class,
        () -> ServerCommandLine.parseLaunch(new String[] {"--token-env", "SECRET", "--restore", "yes"}, SECRET))
        .getMessage());
  }

  @Test
  void advertisedAddressIsTheOneGivenAndBindStaysLoopbackUnlessAsked() throws Exception {
    ShardConfig natted = ServerCommandLine.parse(new String[] {"--token-env", "SECRET", "--bind", "0.0.0.0",
        "--port", "7070", "--advertise", "shard0.example.com:17070"}, SECRET);
    assertEquals("0.0.0.0", natted.bind());
    assertEquals(InetSocketAddress.createUnresolved("shard0.example.com", 17070), natted.advertise());
    ShardConfig advertisedOnly = ServerCommandLine.parse(
        new String[] {"--token-env", "SECRET", "--advertise", "[2001:db8::7]:7070"}, SECRET);
    assertEquals("127.0.0.1", advertisedOnly.bind(), "--advertise alone binds nothing but loopback");
    assertEquals("2001:db8::7", advertisedOnly.advertise().getHostString());
    assertEquals(null, ShardConfig.of("s").advertise());

    try (PsServer shard = PsServer.start(natted.bind("127.0.0.1").port(0))) {
      assertEquals(natted.advertise(), shard.advertisedAddress());
    }
    try (PsServer shard = PsServer.start(ShardConfig.of("s"))) {
      assertEquals(shard.address(), shard.advertisedAddress(), "without --advertise, the address it listens on");
    }
    for (String bad : new String[] {"shard0.example.com", ":7070", "host:0", "host:65536", "host:http"}) {
      assertEquals("option --advertise: '" + bad + "' is not HOST:PORT (an IPv6 host in brackets, PORT 1 to 65535)",
          refused("--token-env", "SECRET", "--advertise", bad), bad);
    }
  }

  @Test
  void badValuesAreRefusedWithTheOptionAndItsRange() {
    assertEquals("option --port needs a whole number from 0 to 65535, got '70000'", refused("--port", "70000"));
    assertEquals("option --port needs a whole number from 0 to 65535, got 'x'", refused("--port", "x"));
    assertEquals("option --shard needs a whole number from 0 up, got '-1'", refused("--shard", "-1"));
    assertEquals("option --max-frame-bytes needs a whole number from 1024 up, got '10'",
        refused("--max-frame-bytes", "10"));
    assertEquals("option --max-workers needs a whole number from 1 up, got '0'", refused("--max-workers", "0"));
    assertEquals("option --kv-max-bytes needs a whole number from 0 up, got '-5'", refused("--kv-max-bytes", "-5"));
    assertTrue(refused("--snapshot-every", "30").contains("--checkpoint"), "a snapshot period needs a location");
  }

  @Test
  void theSecretComesFromAFileOnlyItsOwnerMayRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("secret");
    Files.writeString(file, "s3cret\n");
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (posix) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    assertEquals("s3cret",
        ServerCommandLine.parse(new String[] {"--token-file", file.toString()}, Map.of()).token(),
        "the trailing newline an editor or echo leaves is not part of the secret");

    if (posix) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      assertEquals("--token-file " + file + " may be read or changed by others than its owner (rw-r--r--): chmod 600 "
          + file, refused("--token-file", file.toString()));
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    Files.writeString(file, "\n");
    assertEquals("--token-file " + file + " is empty: it must hold the secret", refused("--token-file", file.toString()));
    assertTrue(refused("--token-file", dir.resolve("missing").toString()).contains("cannot be read"));
    assertTrue(refused("--token-env", "SECRET", "--token-file", file.toString()).contains("give the secret once"));
    assertEquals("environment variable EMPTY (the secret, --token-env) is empty",
        assertThrows(IllegalArgumentException.class,
            () -> ServerCommandLine.parse(new String[] {"--token-env", "EMPTY"}, Map.of("EMPTY", ""))).getMessage());
  }

  @Test
  void tlsNeedsACertificateAndItsKeyWhichNeverComesFromTheCommandLine(@TempDir Path dir) throws Exception {
    ShardCertificate pair = ShardCertificate.selfSigned();
    Path certificate = dir.resolve("shard.pem");
    Path key = dir.resolve("shard.key");
    Files.writeString(certificate, pair.certificatePem());
    Files.writeString(key, pair.privateKeyPem());
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (posix) {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }
    String cert = "--tls-cert";
    ShardConfig fromFiles = ServerCommandLine.parse(
        new String[] {"--token-env", "SECRET", cert, certificate.toString(), "--tls-key-file", key.toString()}, SECRET);
    assertEquals(pair.certificatePem().strip(), fromFiles.tls().certificatePem().strip());
    ShardConfig fromEnvironment = ServerCommandLine.parse(
        new String[] {"--token-env", "SECRET", cert, certificate.toString(), "--tls-key-env", "KEY"},
        Map.of("SECRET", "s3cret", "KEY", pair.privateKeyPem()));
    assertEquals(pair.privateKeyPem(), fromEnvironment.tls().privateKeyPem());
    assertEquals(null, ServerCommandLine.parse(new String[] {"--token-env", "SECRET"}, SECRET).tls(), "plain");

    assertEquals(cert + " " + certificate + " needs the certificate's private key too: --tls-key-file PATH or "
        + "--tls-key-env VARIABLE", refused("--token-env", "SECRET", cert, certificate.toString()));
    assertEquals("--tls-key-file " + key + " needs the certificate it belongs to: --tls-cert PATH or --tls-cert-env "
        + "VARIABLE", refused("--token-env", "SECRET", "--tls-key-file", key.toString()));
    assertTrue(refused("--tls-key", "x").startsWith("--tls-key would put the private key on the command line"));
    assertTrue(refused("--tls-key-file", key.toString(), "--tls-key-env", "KEY")
        .startsWith("give the private key once: --tls-key-file " + key + " or --tls-key-env"));
    if (posix) {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
      assertEquals("--tls-key-file " + key + " may be read or changed by others than its owner (rw-r-----): chmod 600 "
          + key, refused("--token-env", "SECRET", cert, certificate.toString(), "--tls-key-file", key.toString()));
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }

    Files.writeString(key, ShardCertificate.selfSigned().privateKeyPem());
    String mismatch = refused("--token-env", "SECRET", cert, certificate.toString(), "--tls-key-file", key.toString());
    assertTrue(mismatch.startsWith(cert + " " + certificate + ", --tls-key-file " + key + ": the private key does not "
        + "belong to the certificate (subject 'CN=stratus parameter-server shard', SHA-256 fingerprint "), mismatch);
    Files.writeString(key, "not a key\n");
    assertEquals(cert + " " + certificate + ", --tls-key-file " + key + ": the private key holds no PEM private key "
        + "(-----BEGIN PRIVATE KEY-----)",
        refused("--token-env", "SECRET", cert, certificate.toString(), "--tls-key-file", key.toString()));
  }

  private static String refused(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> ServerCommandLine.parse(args, SECRET)).getMessage();
  }
}
