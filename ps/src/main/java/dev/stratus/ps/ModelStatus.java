package dev.stratus.ps;

import java.util.Map;

/**
 * A model's progress summed over its shards.
 *
 * @param clock logical pushes applied (a push spanning several shards counts once): the model's version
 * @param updatesByWorker logical pushes per worker id (the id given to {@link dev.stratus.ps.client.PsClient#connect(java.util.List,
 *     String, int)})
 */
public record ModelStatus(long clock, Map<Integer, Long> updatesByWorker) {}
