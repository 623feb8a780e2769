package dev.stratus.spi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.stratus.store.StoreSpec;
import java.net.URI;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

public class StoreOptionsTest {
  static StoreSpec spec(String... args) {
    return StoreOptions.spec(PipelineOptionsFactory.fromArgs(args).as(StoreOptions.class));
  }

  @Test
  public void namesTheEmbeddedStoreAnEndpointOrAws() {
    StoreSpec embedded = spec();
    assertTrue(embedded.isEmbedded());
    assertEquals(Path.of("data").toAbsolutePath(), embedded.embeddedDir());
    assertNull("the embedded store makes its own credentials", embedded.accessKey());
    StoreSpec embeddedWithKeys = spec("--storeAccessKey=a", "--storeSecretKey=b");
    assertTrue(embeddedWithKeys.isEmbedded());
    assertEquals("a", embeddedWithKeys.accessKey());
    assertEquals("b", embeddedWithKeys.secretKey());
    StoreSpec endpoint = spec("--storeEndpoint=http://localhost:9000", "--storeRegion=eu-west-1",
        "--storeAccessKey=a", "--storeSecretKey=b");
    assertEquals(URI.create("http://localhost:9000"), endpoint.endpoint());
    assertEquals("eu-west-1", endpoint.region());
    StoreSpec aws = spec("--storeEndpoint=aws", "--storeRegion=us-west-2");
    assertNull(aws.endpoint());
    assertEquals("AWS S3 (us-west-2)", aws.describe());
  }

  @Test
  public void badValuesAreRefusedNamingTheOption() {
    assertRefused("--storeEndpoint: 'localhost:9000' is not an http(s) URL", "--storeEndpoint=localhost:9000");
    assertRefused("--storeRegion: 'US East' is not a region name", "--storeRegion=US East");
    assertRefused("--storeAccessKey and --storeSecretKey go together", "--storeAccessKey=a");
    assertRefused("--bucket: 'ab' is not a valid bucket name", "--bucket=ab");
    assertRefused("--dataDir must name a directory", "--dataDir= ");
  }

  private static void assertRefused(String expected, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec(args));
    assertTrue(e.getMessage(), e.getMessage().startsWith(expected));
  }
}
