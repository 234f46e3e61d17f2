import { join, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { findStage, type Pipeline, type Stage } from './dvcyaml.js';

/** True when `a` and `b` are the same path or one lies inside the other (DVC links stages so). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + sep) || b.startsWith(a + sep);
}

/** The stages whose outputs `stage` reads: a dep equal to, inside or containing one of their outs. */
export function upstreamOf(pipeline: Pipeline, stage: Stage): Stage[] {
  const deps = stage.deps.map((d) => join(stage.wdir, d));
  return pipeline.stages.filter((other) => other !== stage && other.outs.some((out) => deps.some((dep) => overlaps(dep, join(other.wdir, out.path)))));
}

/**
 * Stages in an order where every stage comes after the stages it reads from (dvc.yaml order among
 * independent ones). With `target`, only that stage and its ancestors. A cycle is an error.
 */
export function executionOrder(pipeline: Pipeline, target?: string): Stage[] {
  const order: Stage[] = [];
  const state = new Map<Stage, 'visiting' | 'done'>();
  const visit = (stage: Stage, path: string[]): void => {
    const seen = state.get(stage);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new UserError(`${pipeline.file}: stages form a cycle (${[...path, stage.name].join(' → ')}); an output cannot feed its own stage`);
    }
    state.set(stage, 'visiting');
    for (const up of upstreamOf(pipeline, stage)) visit(up, [...path, stage.name]);
    state.set(stage, 'done');
    order.push(stage);
  };
  if (target !== undefined) visit(findStage(pipeline, target), []);
  else for (const stage of pipeline.stages) visit(stage, []);
  return order;
}
