package dev.stratus.runner.lambda.message;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.DistributionData;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.runners.core.metrics.MonitoringInfoEncodings;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.util.HistogramData;
import org.apache.beam.vendor.grpc.v1p69p0.com.google.protobuf.ByteString;
import org.apache.beam.vendor.grpc.v1p69p0.com.google.protobuf.InvalidProtocolBufferException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task attempt's user metrics on the wire: one Beam {@code MonitoringInfo} per metric, its kind by URN, its step,
 * namespace and name as labels, its value in Beam's encoding of counters, distributions, gauges, string sets, bounded
 * tries and histograms. An explicit format: a worker's answer never makes the driver build objects of classes the
 * worker chose. A gauge's value arrives with the driver's time of receipt, the latest attempt's value winning.
 */
public final class TaskMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(TaskMetrics.class);

  /** Adds one decoded metric value to its cell. */
  private interface MetricReader {
    void add(MetricsContainerImpl container, MetricName name, ByteString payload);
  }

  /** One reader per kind of user metric, by the URN Beam's encoder gives it. */
  private static final Map<String, MetricReader> READERS =
      Map.of(
          MonitoringInfoConstants.Urns.USER_SUM_INT64,
          (container, name, payload) -> container.getCounter(name).inc(MonitoringInfoEncodings.decodeInt64Counter(payload)),
          MonitoringInfoConstants.Urns.USER_DISTRIBUTION_INT64,
          (container, name, payload) -> {
            DistributionData data = MonitoringInfoEncodings.decodeInt64Distribution(payload);
            container.getDistribution(name).update(data.sum(), data.count(), data.min(), data.max());
          },
          MonitoringInfoConstants.Urns.USER_LATEST_INT64,
          (container, name, payload) -> container.getGauge(name).set(MonitoringInfoEncodings.decodeInt64Gauge(payload).value()),
          MonitoringInfoConstants.Urns.USER_SET_STRING,
          (container, name, payload) ->
              MonitoringInfoEncodings.decodeStringSet(payload).stringSet().forEach(container.getStringSet(name)::add),
          MonitoringInfoConstants.Urns.USER_BOUNDED_TRIE,
          (container, name, payload) ->
              container.getBoundedTrie(name).update(MonitoringInfoEncodings.decodeBoundedTrie(payload)),
          MonitoringInfoConstants.Urns.USER_HISTOGRAM,
          (container, name, payload) -> {
            HistogramData data = MonitoringInfoEncodings.decodeInt64Histogram(payload);
            container.getHistogram(name, data.getBucketType()).update(data);
          });

  private TaskMetrics() {}

  public static ArrayList<byte[]> encode(MetricsContainerStepMap metrics) {
    ArrayList<byte[]> infos = new ArrayList<>();
    for (MonitoringInfo info : metrics.getMonitoringInfos()) {
      infos.add(info.toByteArray());
    }
    return infos;
  }

  /** The metrics {@code encoded} carries, each in its step's container. */
  public static MetricsContainerStepMap decode(List<byte[]> encoded) {
    MetricsContainerStepMap metrics = new MetricsContainerStepMap();
    for (byte[] bytes : encoded) {
      MonitoringInfo info;
      try {
        info = MonitoringInfo.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new Messages.IncompatibleMessageException("a task's metric is not a Beam MonitoringInfo: " + e.getMessage());
      }
      Map<String, String> labels = info.getLabelsMap();
      String step = labels.get(MonitoringInfoConstants.Labels.PTRANSFORM);
      String namespace = labels.get(MonitoringInfoConstants.Labels.NAMESPACE);
      String name = labels.get(MonitoringInfoConstants.Labels.NAME);
      MetricReader reader = READERS.get(info.getUrn());
      if (reader == null || step == null || namespace == null || name == null) {
        LOG.warn("a task reported a metric that is not a user metric of a step, left out: {} {}", info.getUrn(), labels);
        continue;
      }
      reader.add(metrics.getContainer(step), MetricName.named(namespace, name), info.getPayload());
    }
    return metrics;
  }
}
