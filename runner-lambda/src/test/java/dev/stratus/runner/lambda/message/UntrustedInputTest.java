package dev.stratus.runner.lambda.message;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.runner.lambda.worker.WorkerHandler;
import dev.stratus.spi.WorkerFailedException;
import dev.stratus.store.StoreSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.junit.Before;
import org.junit.Test;

/**
 * What crosses the network between driver and workers is read as explicit data: a Java-serialized object where the
 * invocation's store or a task's metrics belong is refused, and its {@code readObject} never runs.
 */
public class UntrustedInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Before
  public void resetGadget() {
    Gadget.READS.set(0);
  }

  @Test
  public void theWorkerRefusesAJavaSerializedStoreInItsPayload() throws Exception {
    ObjectNode request = JSON.createObjectNode();
    request.put("formatVersion", Messages.FORMAT_VERSION);
    request.put("task", "s3://bucket/job/stage-1/task-00000/descriptor");
    request.put("attemptPrefix", "s3://bucket/job/stage-1/task-00000/attempt-1/");
    request.put("store", Base64.getEncoder().encodeToString(Gadget.serializedInAMap()));

    Messages.IncompatibleMessageException refused =
        assertThrows(
            Messages.IncompatibleMessageException.class,
            () -> new WorkerHandler().handleRequest(
                new ByteArrayInputStream(JSON.writeValueAsBytes(request)), new ByteArrayOutputStream(), null));

    assertThat(refused.getMessage(), containsString("'store' must be a JSON object"));
    assertEquals("the gadget's readObject must never run", 0, Gadget.READS.get());
  }

  @Test
  public void theDriverRefusesJavaSerializedMetricsInAnAnswer() {
    TaskSummary summary =
        new TaskSummary(true, new LinkedHashMap<>(), new LinkedHashMap<>(), 1, 1, 1, 0,
            new ArrayList<>(List.of(Gadget.serializedInAMap())), null);
    TaskSummary received = InvocationPayloads.summaryFromResponse(InvocationPayloads.responseJson(summary));

    Messages.IncompatibleMessageException refused =
        assertThrows(Messages.IncompatibleMessageException.class, () -> TaskMetrics.decode(received.metrics()));

    assertThat(refused.getMessage(), containsString("not a Beam MonitoringInfo"));
    assertEquals(0, Gadget.READS.get());
  }

  @Test
  public void theDriverRefusesAJavaSerializedSummary() throws Exception {
    ObjectNode response = JSON.createObjectNode();
    response.put("formatVersion", Messages.FORMAT_VERSION);
    byte[] framed = new byte[Gadget.serializedInAMap().length + 1];
    framed[0] = (byte) Messages.FORMAT_VERSION;
    System.arraycopy(Gadget.serializedInAMap(), 0, framed, 1, framed.length - 1);
    response.put("summary", Base64.getEncoder().encodeToString(framed));

    Messages.IncompatibleMessageException refused =
        assertThrows(
            Messages.IncompatibleMessageException.class,
            () -> InvocationPayloads.summaryFromResponse(JSON.writeValueAsBytes(response)));

    assertThat(refused.getMessage(), containsString("unreadable runner message"));
    assertEquals(0, Gadget.READS.get());
  }

  @Test
  public void theStoreTravelsAsPlainFields() {
    StoreSpec store = StoreSpec.endpoint(URI.create("http://127.0.0.1:9000"), "eu-west-1", "key", "secret");
    InvocationPayloads.Request read =
        InvocationPayloads.Request.fromJson(new InvocationPayloads.Request("t", "a/", store).toJson());
    assertEquals(store, read.store());
    assertEquals(StoreSpec.aws("us-east-2"),
        InvocationPayloads.Request.fromJson(new InvocationPayloads.Request("t", "a/", StoreSpec.aws("us-east-2")).toJson())
            .store());
  }

  @Test
  public void metricsKeepTheirStepNameAndValue() {
    MetricsContainerStepMap sent = new MetricsContainerStepMap();
    sent.getContainer("Count/ParDo").getCounter(MetricName.named("ns", "seen")).inc(5);
    sent.getContainer("Count/ParDo").getDistribution(MetricName.named("ns", "sizes")).update(7);
    sent.getContainer("Other").getGauge(MetricName.named("ns", "last")).set(3);

    MetricsContainerStepMap received = TaskMetrics.decode(TaskMetrics.encode(sent));

    MetricResults results = MetricsContainerStepMap.asAttemptedOnlyMetricResults(received);
    var query = results.queryMetrics(MetricsFilter.builder().build());
    assertEquals(5L, query.getCounters().iterator().next().getAttempted().longValue());
    assertEquals("Count/ParDo", query.getCounters().iterator().next().getKey().stepName());
    assertEquals(7L, query.getDistributions().iterator().next().getAttempted().getMax());
    assertEquals(3L, query.getGauges().iterator().next().getAttempted().getValue());
    assertEquals("Other", query.getGauges().iterator().next().getKey().stepName());
  }

  @Test
  public void aJdkExceptionComesBackAsItselfWithItsStackAndCause() {
    AssertionError thrown = new AssertionError("expected <1> but was <2>", new IllegalStateException("inner"));

    Throwable rebuilt = Messages.read(Messages.write(WorkerError.of(thrown)), WorkerError.class).toThrowable();

    assertEquals(AssertionError.class, rebuilt.getClass());
    assertEquals("expected <1> but was <2>", rebuilt.getMessage());
    assertEquals(thrown.getStackTrace()[0], rebuilt.getStackTrace()[0]);
    assertEquals(IllegalStateException.class, rebuilt.getCause().getClass());
    assertEquals("inner", rebuilt.getCause().getMessage());
  }

  @Test
  public void anyOtherExceptionComesBackNamedButNeverLoaded() {
    Throwable rebuilt = new WorkerError("com.example.NeverLoaded", "bad row 7", new ArrayList<>(), null,
        new ArrayList<>()).toThrowable();

    assertTrue(rebuilt instanceof WorkerFailedException);
    assertEquals("com.example.NeverLoaded", ((WorkerFailedException) rebuilt).errorType());
    assertEquals("com.example.NeverLoaded: bad row 7", rebuilt.getMessage());
    assertNull(rebuilt.getCause());
  }
}
