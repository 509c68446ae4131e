// Reads a .hlog with HdrHistogram's own Java HistogramLogReader and prints, per interval,
// "<tag> <start second> <total count> <value:count>..." over the recorded buckets (value =
// the bucket's highest equivalent value). Used by hlog_java_test.cc:
//   java -cp /usr/share/java/hdrhistogram.jar HlogDump.java run.hlog
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.HistogramLogReader;

public class HlogDump {
  public static void main(String[] args) throws Exception {
    HistogramLogReader reader = new HistogramLogReader(args[0]);
    EncodableHistogram e;
    while ((e = reader.nextIntervalHistogram()) != null) {
      Histogram h = (Histogram) e;
      StringBuilder sb = new StringBuilder();
      sb.append(h.getTag() == null ? "" : h.getTag()).append(' ');
      sb.append(Math.round(h.getStartTimeStamp() / 1000.0 - reader.getStartTimeSec()));
      sb.append(' ').append(h.getTotalCount());
      for (HistogramIterationValue v : h.recordedValues()) {
        sb.append(' ').append(v.getValueIteratedTo()).append(':').append(v.getCountAtValueIteratedTo());
      }
      System.out.println(sb);
    }
  }
}
