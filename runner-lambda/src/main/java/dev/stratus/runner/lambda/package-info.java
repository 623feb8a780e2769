/**
 * LambdaRunner: a Beam runner whose workers are AWS Lambda invocations and whose data moves through the object store.
 *
 * <p>The pieces, in the order a run uses them:
 *
 * <ul>
 *   <li>{@code translate}: {@code LambdaOverrides} rewrites the pipeline into primitives (primitive bounded reads,
 *       splittable DoFns as plain DoFns); {@code PipelineTranslator} walks it with one translator per primitive
 *       (Impulse, Read, ParDo, GroupByKey, Flatten, Window.Assign, CreatePCollectionView) and per composite it runs
 *       whole (Combine.PerKey, lifted), producing the {@code graph}.
 *   <li>{@code graph}: stages, each a root (impulse, source split, stored partitions, or a shuffle partition grouped
 *       by key and window) with the ParDos fused below it; Flattens are no stage, only a union of partitions.
 *   <li>{@code scheduler}: runs each stage once the stages it reads are done, one task per partition, one Lambda
 *       invocation per task attempt through the AWS SDK's LambdaClient; retries, commits one attempt per task.
 *       {@code CommittedState} keeps what was committed (partitions, shuffle files, metrics) apart from the ordering.
 *   <li>{@code worker}: the Lambda handler; one {@code Operation} per primitive, built from the stage plan by the
 *       factory {@code TaskRunner}'s table holds for that kind of step.
 *   <li>{@code message}: what driver and workers exchange: Kryo messages behind a format version (plans, task
 *       descriptors, summaries), the specs Java-serialized into plans, the layout of element files in the store, the
 *       small JSON of an invocation and the worker function's handler name.
 *   <li>{@code deploy}: the command that packages and deploys the worker function.
 * </ul>
 *
 * <p>The driver side (this package, {@code translate}, {@code graph}, {@code scheduler}, {@code deploy}) and the
 * worker side ({@code worker}) meet only in {@code message}. Only this package reads {@link LambdaRunnerOptions}:
 * it hands {@code translate} and {@code scheduler} the values they need, so no package depends on this one.
 */
package dev.stratus.runner.lambda;
