/**
 * Offline holdout evaluation over a data directory's store: interactions from the cleaned
 * events, a per-user stratified (or temporal, or leave-last-out) split, each model fitted on the
 * training part and scored on the held-out part with `@souk/models`' `evaluate`.
 * @packageDocumentation
 */
import { buildInteractionMatrices, leaveLastKOutSplit, pairsToCsr, stratifiedRandomSplit, temporalSplit, type DataStore, type InteractionMatrices } from '@souk/data';
import { evaluate, type IterationInfo, type RankingMetrics } from '@souk/models';
import type { EngineModelName } from '@souk/engine';
import { CliError } from './errors.js';
import { createModel } from './models.js';

/** How the held-out interactions are chosen. */
export type SplitKind = 'random' | 'temporal' | 'last';

/** Split kinds, for option parsing. */
export const SPLIT_KINDS: readonly SplitKind[] = ['random', 'temporal', 'last'];

/** Options of {@link loadHoldout}. */
export interface HoldoutOptions {
  /** Split kind (default `random`: per-user stratified). */
  readonly split?: SplitKind;
  /** Share of interactions kept for training (random and temporal; default 0.8). */
  readonly ratio?: number;
  /** Seed of the random split (default 42). */
  readonly seed?: number;
}

/** A training and a test set over the same users × items. */
export interface Holdout {
  /** Training interactions with ids. */
  readonly train: { csr: InteractionMatrices['csr']; userIds: string[]; itemIds: string[] };
  /** Held-out interactions with ids. */
  readonly test: { csr: InteractionMatrices['csr']; userIds: string[]; itemIds: string[] };
  /** Users, items and interactions in each part. */
  readonly sizes: { users: number; items: number; train: number; test: number };
}

/** Builds the interaction matrix of a store and splits it. `ERR_BAD_DATA` when there is nothing to evaluate. */
export async function loadHoldout(store: DataStore, options: HoldoutOptions = {}): Promise<Holdout> {
  const m = await buildInteractionMatrices(store);
  if (m.pairs.length === 0) throw new CliError('ERR_BAD_DATA', 'Expected interactions (view, click, cart, purchase or rating events on items) in the data directory but received none');
  const split = options.split ?? 'random';
  const ratio = options.ratio ?? 0.8;
  const parts =
    split === 'temporal' ? temporalSplit(m.pairs, { ratio }) : split === 'last' ? leaveLastKOutSplit(m.pairs, { k: 1 }) : stratifiedRandomSplit(m.pairs, { ratio, seed: options.seed ?? 42 });
  if (parts.test.length === 0 || parts.train.length === 0) {
    throw new CliError('ERR_BAD_DATA', `Expected enough interactions to hold some out but received ${m.pairs.length} interactions (the ${split} split left one side empty)`);
  }
  const userIds = m.userIds.ids();
  const itemIds = m.itemIds.ids();
  return {
    train: { csr: pairsToCsr(parts.train), userIds, itemIds },
    test: { csr: pairsToCsr(parts.test), userIds, itemIds },
    sizes: { users: m.pairs.rows, items: m.pairs.cols, train: parts.train.length, test: parts.test.length },
  };
}

/** One evaluated model. */
export interface ModelEvaluation {
  readonly model: EngineModelName;
  readonly params: Record<string, unknown>;
  readonly metrics: RankingMetrics;
  readonly fitSeconds: number;
  readonly iterations: number;
}

/** Fits `model` on the holdout's training part and evaluates it at `k` on its test part. */
export async function evaluateModel(
  holdout: Holdout,
  model: EngineModelName,
  params: Record<string, unknown>,
  options: { k: number; onIteration?: (info: IterationInfo) => void },
): Promise<ModelEvaluation> {
  const recommender = createModel(model, params);
  const t0 = performance.now();
  const report = await recommender.fit(holdout.train, options.onIteration ? { onIteration: options.onIteration } : {});
  const fitSeconds = (performance.now() - t0) / 1000;
  const metrics = await evaluate(recommender, holdout.train, holdout.test, { k: options.k });
  return { model, params: { ...recommender.hyperParameters }, metrics, fitSeconds, iterations: report.iterations };
}
