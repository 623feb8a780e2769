package dev.stratus.runner.lambda.message;

/** One object of encoded elements: a materialized partition of a PCollection, or one task's share of a shuffle partition (then {@code pcollection} is the shuffle id). */
public record PartitionRef(String pcollection, String path) {}
