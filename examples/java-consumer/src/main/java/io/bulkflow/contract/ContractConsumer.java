package io.bulkflow.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A downstream consumer that knows only docs/topics.md. It reads each topic to the end it
 * has when the consumer starts, and prints one JSON summary per job:
 *
 * <ul>
 *   <li>results.&lt;dataset&gt; in either encoding (the content-type header says which):
 *       rows de-duplicated by their identity (job_id, chunk_no, row number), their count,
 *       the sum of one decimal column, and how many records carried a replay_id;
 *   <li>events folded by the rule "keep the highest revision per job", and the delivery
 *       notices seen.
 * </ul>
 *
 * <p>Usage: ContractConsumer BOOTSTRAP PREFIX DATASETS(comma-separated) SUM_COLUMN TIMEOUT_S.
 * Java 17 needs --add-opens=java.base/java.nio=ALL-UNNAMED for Arrow's memory.
 */
public final class ContractConsumer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final class Job {
    final Set<String> rows = new HashSet<>();
    BigDecimal sum = BigDecimal.ZERO;
    long replayedRecords = 0;
    JsonNode outcome = null;
    final List<JsonNode> notices = new ArrayList<>();
  }

  private final Map<String, Job> jobs = new TreeMap<>();
  private final String sumColumn;

  private ContractConsumer(String sumColumn) {
    this.sumColumn = sumColumn;
  }

  private Job job(String id) {
    return jobs.computeIfAbsent(id, k -> new Job());
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private void result(ConsumerRecord<byte[], byte[]> r, BufferAllocator allocator)
      throws Exception {
    String jobId = header(r, "job_id");
    String chunk = header(r, "chunk_no");
    Job job = job(jobId);
    if (header(r, "replay_id") != null) {
      job.replayedRecords++;
    }
    String type = header(r, "content-type");
    if ("application/json".equals(type)) {
      JsonNode row = JSON.readTree(r.value());
      if (job.rows.add(jobId + "|" + chunk + "|" + header(r, "row"))) {
        JsonNode value = row.get(sumColumn);
        if (value != null && !value.isNull()) {
          job.sum = job.sum.add(new BigDecimal(value.asText()));
        }
      }
      return;
    }
    if (!"application/vnd.apache.arrow.stream".equals(type)) {
      throw new IllegalStateException("unknown content-type " + type);
    }
    try (ArrowStreamReader reader =
        new ArrowStreamReader(new ByteArrayInputStream(r.value()), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        BigIntVector rowNumbers = (BigIntVector) root.getVector("__row__");
        FieldVector values = root.getVector(sumColumn);
        for (int i = 0; i < root.getRowCount(); i++) {
          if (!job.rows.add(jobId + "|" + chunk + "|" + rowNumbers.get(i))) {
            continue; // a redelivered or replayed row: already counted
          }
          Object value = values == null ? null : values.getObject(i);
          if (value != null) {
            job.sum = job.sum.add((BigDecimal) value);
          }
        }
      }
    }
  }

  private void event(ConsumerRecord<byte[], byte[]> r) throws Exception {
    JsonNode event = JSON.readTree(r.value());
    Job job = job(new String(r.key(), StandardCharsets.UTF_8));
    if (event.has("revision")) { // an outcome: keep the highest revision per job
      if (job.outcome == null
          || event.get("revision").asLong() > job.outcome.get("revision").asLong()) {
        job.outcome = event;
      }
    } else {
      job.notices.add(event);
    }
  }

  /** Every record of the topic up to its end offsets at the start. */
  private static List<ConsumerRecord<byte[], byte[]>> readToEnd(
      KafkaConsumer<byte[], byte[]> consumer, String topic, long deadline) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
      partitions.add(new TopicPartition(topic, p.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    while (System.currentTimeMillis() < deadline) {
      end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
      if (end.isEmpty()) {
        return found;
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        found.add(r);
      }
    }
    throw new IllegalStateException("did not reach the end of " + topic + " in time");
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    String[] datasets = args[2].split(",");
    ContractConsumer summary = new ContractConsumer(args[3]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[4]) * 1000;
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        BufferAllocator allocator = new RootAllocator()) {
      for (String dataset : datasets) {
        for (ConsumerRecord<byte[], byte[]> r :
            readToEnd(consumer, prefix + ".results." + dataset, deadline)) {
          summary.result(r, allocator);
        }
      }
      for (ConsumerRecord<byte[], byte[]> r : readToEnd(consumer, prefix + ".events", deadline)) {
        summary.event(r);
      }
    }
    ObjectNode out = JSON.createObjectNode();
    for (Map.Entry<String, Job> e : summary.jobs.entrySet()) {
      Job job = e.getValue();
      ObjectNode node = out.putObject(e.getKey());
      node.put("rows", job.rows.size());
      node.put("sum", job.sum.toPlainString());
      node.put("replayed_records", job.replayedRecords);
      node.set("outcome", job.outcome);
      node.set("notices", JSON.valueToTree(job.notices));
    }
    System.out.println(JSON.writeValueAsString(out));
  }
}
