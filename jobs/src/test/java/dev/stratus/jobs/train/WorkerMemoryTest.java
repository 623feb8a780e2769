package dev.stratus.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerMemoryTest {
  private static final List<Integer> SIZES = List.of(512, 1024, 2048, 3008);

  @Test
  void anLbfgsTrainingTakesTheSmallestSizeThatHoldsItsPartitions() {
    WorkerMemory memory = new WorkerMemory(SIZES, true, TrainingSpec.AUTO_MEMORY);
    String reason = memory.forLbfgs(mb -> mb >= 1024, "90 MB of stored rows");
    assertEquals(1024, memory.current(), "no vCPU floor for L-BFGS: its rounds wait on the driver as much");
    assertTrue(reason.contains("the smallest of [512, 1024, 2048, 3008] MB at which each worker holds 90 MB"), reason);
  }

  @Test
  void whereNoSizeHoldsTheLargestIsTakenAndTheReasonSaysItFallsShort() {
    WorkerMemory memory = new WorkerMemory(SIZES, false, TrainingSpec.AUTO_MEMORY);
    String reason = memory.forLbfgs(mb -> false, "9 GB of stored rows");
    assertEquals(3008, memory.current());
    assertTrue(reason.startsWith("the largest of [512, 1024, 2048, 3008] MB, though short"), reason);
  }

  @Test
  void anSgdWorkerOnLambdaGetsAWholeVcpuEvenWhereLessHoldsItsPrefetch() {
    WorkerMemory memory = new WorkerMemory(SIZES, true, TrainingSpec.AUTO_MEMORY);
    String reason = memory.forSgd(mb -> true, "two of its partitions decoded");
    assertEquals(2048, memory.current(), "the smallest from 1,769 MB up");
    assertTrue(reason.contains("from 1769 MB up: an SGD worker keeps one core busy"), reason);
  }

  @Test
  void anSgdWorkerSharingThisMachinesCoresGetsTheSmallestSizeItsPrefetchFits() {
    WorkerMemory memory = new WorkerMemory(SIZES, false, TrainingSpec.AUTO_MEMORY);
    memory.forSgd(mb -> true, "two of its partitions decoded");
    assertEquals(512, memory.current());
    WorkerMemory larger = new WorkerMemory(SIZES, false, TrainingSpec.AUTO_MEMORY);
    String reason = larger.forSgd(mb -> mb >= 2048, "two of its partitions decoded");
    assertEquals(2048, larger.current());
    assertTrue(reason.contains("share this machine's cores"), reason);
  }

  @Test
  void withNoSizeFromOneVcpuUpTheLargestHoldingOneIsTaken() {
    WorkerMemory memory = new WorkerMemory(List.of(256, 512, 1024), true, TrainingSpec.AUTO_MEMORY);
    memory.forSgd(mb -> mb >= 512, "two of its partitions decoded");
    assertEquals(1024, memory.current());
  }

  @Test
  void aSizeTheSpecSetsIsKeptAndOneNotOfferedIsRefusedNamingTheSizes() {
    WorkerMemory memory = new WorkerMemory(SIZES, true, 1024);
    assertNull(memory.forSgd(mb -> mb >= 3008, "two of its partitions decoded"));
    assertEquals(1024, memory.current());
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> new WorkerMemory(SIZES, true, 4096));
    assertTrue(refused.getMessage().contains("workerMemoryMb=4096 is not a size the workers are offered at:"
        + " [512, 1024, 2048, 3008] MB"), refused.getMessage());
  }

  @Test
  void aGenerationOutOfMemoryRaisesTheSizeOnceToTheNext() {
    WorkerMemory memory = new WorkerMemory(SIZES, false, TrainingSpec.AUTO_MEMORY);
    memory.forSgd(mb -> true, "two of its partitions decoded");
    assertTrue(WorkerMemory.outOfMemory("Terminating due to java.lang.OutOfMemoryError: Java heap space"));
    assertTrue(WorkerMemory.outOfMemory("{\"errorType\":\"Runtime.OutOfMemory\"}"));
    assertTrue(!WorkerMemory.outOfMemory("Runtime.ExitError") && !WorkerMemory.outOfMemory(null));
    String reason = memory.afterOutOfMemory(512);
    assertEquals(1024, memory.current());
    assertTrue(reason.startsWith("a generation ran out of memory at 512 MB: the generations from now on start at"
        + " 1024 MB"), reason);
    assertNull(memory.afterOutOfMemory(512), "another generation of 512 MB that ran out raises it no further");
    memory.afterOutOfMemory(1024);
    memory.afterOutOfMemory(2048);
    assertNull(memory.afterOutOfMemory(3008), "nothing past the largest");
    assertEquals(3008, memory.current());
    WorkerMemory fixed = new WorkerMemory(SIZES, false, 1024);
    assertNull(fixed.afterOutOfMemory(1024), "a size the spec sets is kept");
  }

  @Test
  void oneSizeOfferedIsNoChoice() {
    WorkerMemory memory = new WorkerMemory(List.of(1024), true, TrainingSpec.AUTO_MEMORY);
    assertNull(memory.forLbfgs(mb -> false, "9 GB of stored rows"));
    assertEquals(1024, memory.current());
  }
}
