package dev.stratus.runner.lambda.message;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.Test;

public class MessagesTest {
  @Test
  public void roundTripsATaskDescriptor() {
    LinkedHashMap<String, ArrayList<PartitionRef>> sideInputs = new LinkedHashMap<>();
    sideInputs.put("pc3", new ArrayList<>(List.of(new PartitionRef("pc3", "s3://b/k/pc3"))));
    TaskDescriptor task =
        new TaskDescriptor(2, 7, "s3://b/plan", new ArrayList<>(List.of(new PartitionRef("pc1", "s3://b/x"))),
            new byte[] {1, 2, 3}, sideInputs);
    TaskDescriptor read = Messages.read(Messages.write(task), TaskDescriptor.class);
    assertEquals(task.inputs(), read.inputs());
    assertEquals(task.sideInputs(), read.sideInputs());
    assertArrayEquals(task.sourceSplit(), read.sourceSplit());
    assertEquals(7, read.taskIndex());
  }

  @Test
  public void refusesAnotherFormatVersionClearly() {
    byte[] bytes = Messages.write(new PartitionRef("pc1", "s3://b/x"));
    bytes[0] = (byte) (Messages.FORMAT_VERSION + 1);
    Messages.IncompatibleMessageException e =
        assertThrows(Messages.IncompatibleMessageException.class, () -> Messages.read(bytes, PartitionRef.class));
    assertThat(e.getMessage(), containsString("deploy the worker from the same build as the driver"));
  }
}
