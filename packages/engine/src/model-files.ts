/**
 * The models the engine trains, and their files: each trained version in `models/<version>/`
 * (the models package's format: `manifest.json` + `model.safetensors`), and the active version
 * named by `models/ACTIVE.json`, written atomically (temporary file, then rename) so a crash
 * leaves either the old pointer or the new one.
 * @packageDocumentation
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ALS, BPR, EASE, ItemKNN, loadModel, MatrixFactorization, Popularity, type Recommender } from '@souk/models';
import { engineError } from './errors.js';
import { ENGINE_MODELS, type EngineModelName } from './types.js';

/** Builds an untrained model of a kind with hyper-parameters (`ERR_ARGUMENT` for bad ones). */
export function createModel(name: EngineModelName, params: Record<string, unknown> = {}): Recommender {
  try {
    switch (name) {
      case 'als':
        return new ALS(params);
      case 'bpr':
        return new BPR(params);
      case 'mf':
        return new MatrixFactorization(params);
      case 'item-knn':
        return new ItemKNN(params);
      case 'ease':
        return new EASE(params);
      case 'popularity':
        return new Popularity(params);
    }
  } catch (e) {
    throw Object.assign(engineError('ERR_ARGUMENT', `valid ${name} hyper-parameters (${(e as Error).message})`, 'params', params), { cause: e });
  }
  throw engineError('ERR_ARGUMENT', `one of ${ENGINE_MODELS.join(', ')}`, 'model', name);
}

/** What `models/ACTIVE.json` records about the active model. */
export interface ActiveModelPointer {
  /** Version: the directory name under `models/`. */
  readonly version: string;
  /** Engine model name. */
  readonly model: EngineModelName;
  /** Training end time (ms). */
  readonly trainedAt: number;
  /** When the training data was read from the store (ms): users erased since keep no factors. */
  readonly dataAt?: number;
  /** Held-out metrics, when evaluated. */
  readonly metrics?: Record<string, number>;
}

/** A loaded, active model. */
export interface LiveModel extends ActiveModelPointer {
  /** The fitted model. */
  readonly recommender: Recommender;
}

const POINTER = 'ACTIVE.json';

/** A new version name: sortable time plus a random suffix. */
export function newVersion(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Reads the pointer and loads the active model; undefined when none was trained yet. */
export async function loadActiveModel(modelsDir: string): Promise<LiveModel | undefined> {
  let text: string;
  try {
    text = await readFile(join(modelsDir, POINTER), 'utf8');
  } catch {
    return undefined;
  }
  const pointer = JSON.parse(text) as ActiveModelPointer;
  const recommender = await loadModel(join(modelsDir, pointer.version));
  return { ...pointer, recommender };
}

/** Writes the pointer atomically (tmp + rename, both in `modelsDir`). */
export async function writeActivePointer(modelsDir: string, pointer: ActiveModelPointer): Promise<void> {
  await mkdir(modelsDir, { recursive: true });
  const tmp = join(modelsDir, `${POINTER}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, `${JSON.stringify(pointer, null, 1)}\n`);
  await rename(tmp, join(modelsDir, POINTER));
}

/** Removes a version directory (a failed job's leftovers); never throws. */
export async function removeVersion(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
