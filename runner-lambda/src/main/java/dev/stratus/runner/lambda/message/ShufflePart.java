package dev.stratus.runner.lambda.message;

/** One object a task wrote to a shuffle: which hash partition it holds, where, and how many bytes. */
public record ShufflePart(int partition, String path, long bytes) {}
