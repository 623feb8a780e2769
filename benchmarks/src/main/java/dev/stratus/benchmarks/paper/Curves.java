package dev.stratus.benchmarks.paper;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Reading and drawing held-out loss curves. */
final class Curves {
  private Curves() {}

  /** Every curve's points as CSV rows of (name, seconds, test logloss), the name in a column called {@code what}. */
  static void writeCsv(Path file, String what, Map<String, List<DriverModel.Point>> curves) throws IOException {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
      out.println(what + ",seconds,test_logloss");
      curves.forEach((name, curve) -> curve.forEach(p -> out.printf(Locale.ROOT, "\"%s\",%.3f,%.6f%n",
          name.replace("\"", "\"\""), p.seconds(), p.loss())));
    }
  }

  /** The loss of the last evaluation at or before {@code t}; NaN if there was none. */
  static double lossAt(List<DriverModel.Point> curve, double t) {
    double loss = Double.NaN;
    for (DriverModel.Point p : curve) {
      if (p.seconds() <= t) {
        loss = p.loss();
      }
    }
    return loss;
  }

  /** Seconds until the curve first reaches {@code target}; NaN if it never does. */
  static double timeTo(List<DriverModel.Point> curve, double target) {
    for (DriverModel.Point p : curve) {
      if (p.loss() <= target) {
        return p.seconds();
      }
    }
    return Double.NaN;
  }

  /** liblinear's optimum and the planted model's loss, in that order, as the chart's reference lines. */
  static Map<String, Double> referenceLines(double liblinear, double planted) {
    Map<String, Double> levels = new LinkedHashMap<>();
    levels.put("liblinear -s 0 optimum", liblinear);
    levels.put("planted model", planted);
    return levels;
  }

  /**
   * A PNG of every curve (a curve of one point is drawn as a marker) with {@code levels} as horizontal lines, the
   * loss axis cut at 0.7.
   */
  static void chart(Path file, String title, Map<String, List<DriverModel.Point>> curves,
      Map<String, Double> levels) throws Exception {
    XYChart chart = new XYChartBuilder().width(1000).height(600).title(title)
        .xAxisTitle("seconds").yAxisTitle("held-out logloss").build();
    chart.getStyler().setMarkerSize(4);
    // Every model starts at log 2 = 0.693; a first epoch that overshoots above it would squash the rest.
    chart.getStyler().setYAxisMax(0.7);
    double end = 1;
    for (Map.Entry<String, List<DriverModel.Point>> e : curves.entrySet()) {
      double[] x = e.getValue().stream().mapToDouble(DriverModel.Point::seconds).toArray();
      double[] y = e.getValue().stream().mapToDouble(DriverModel.Point::loss).toArray();
      XYSeries series = chart.addSeries(e.getKey(), x, y);
      if (x.length == 1) {
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        series.setMarkerColor(series.getLineColor());
      }
      end = Math.max(end, x[x.length - 1]);
    }
    Color[] levelColors = {Color.BLACK, Color.GRAY};
    int drawn = 0;
    for (Map.Entry<String, Double> level : levels.entrySet()) {
      double y = level.getValue();
      if (!Double.isNaN(y)) {
        XYSeries line = chart.addSeries(level.getKey(), new double[] {0, end}, new double[] {y, y});
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setLineColor(levelColors[drawn++ % levelColors.length]);
        line.setLineStyle(SeriesLines.DASH_DASH);
        line.setMarker(SeriesMarkers.NONE);
      }
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
