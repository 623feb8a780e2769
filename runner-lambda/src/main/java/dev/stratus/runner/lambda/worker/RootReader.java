package dev.stratus.runner.lambda.worker;

/** The start of a stage inside one task: emits the task's input partition; returns how many elements it read. */
interface RootReader {
  long emit(Receiver downstream) throws Exception;
}
