/**
 * Loading saved models: `manifest.json` + `model.safetensors` written by `Recommender.save`.
 * Every check fails with a typed error: a missing or unparsable manifest or a file of another
 * format is `ERR_FOREIGN_FILE`; a tensors file whose hash, structure, shapes or training data do
 * not match the manifest is `ERR_CORRUPT_FILE`; id maps that do not match the shapes are
 * `ERR_ID_MAP_MISMATCH`.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from './errors.js';
import { fingerprintCsr, IdIndex } from './interactions.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, modelFactory, type ModelManifest, type Recommender } from './recommender.js';
import { decodeSafetensors, type Tensor } from './safetensors.js';

function foreign(why: string, cause?: unknown): ModelError {
  return new ModelError('ERR_FOREIGN_FILE', `Expected a Souk model directory (manifest.json + model.safetensors) but ${why}`, cause === undefined ? {} : { cause });
}

function intVector(tensors: Record<string, Tensor>, name: string, length?: number): Int32Array {
  const t = tensors[name];
  if (!t || t.dtype !== 'I32' || t.shape.length !== 1 || (length !== undefined && t.shape[0] !== length)) {
    throw new ModelError('ERR_CORRUPT_FILE', `Expected an I32 vector ${name}${length === undefined ? '' : ` of ${length} values`} in the saved model but received ${t ? `${t.dtype} [${t.shape}]` : 'none'}`);
  }
  return t.data as Int32Array;
}

/** Loads a model saved with `save(dir)`; the returned object is the saved kind (ALS, BPR, …), fitted. */
export async function loadModel(dir: string): Promise<Recommender> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (e) {
    throw foreign(`${join(dir, 'manifest.json')} cannot be read (${(e as Error).message})`, e);
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(text) as ModelManifest;
  } catch (e) {
    throw foreign(`manifest.json is not JSON (${(e as Error).message})`, e);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== MANIFEST_FORMAT) throw foreign(`manifest.json has format ${JSON.stringify((manifest as { format?: unknown } | null)?.format)}`);
  if (manifest.formatVersion !== MANIFEST_VERSION) throw foreign(`manifest.json has version ${manifest.formatVersion} (this build reads ${MANIFEST_VERSION})`);
  const factory = modelFactory(manifest.kind);
  if (!factory) throw foreign(`the model kind ${JSON.stringify(manifest.kind)} is unknown`);
  if (typeof manifest.tensorsFile !== 'string' || manifest.tensorsFile.includes('/') || manifest.tensorsFile.includes('\\')) throw foreign('manifest.json names no tensors file');
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, manifest.tensorsFile));
  } catch (e) {
    throw new ModelError('ERR_CORRUPT_FILE', `Expected the tensors file ${manifest.tensorsFile} next to manifest.json but it cannot be read (${(e as Error).message})`, { cause: e });
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.tensorsSha256) throw new ModelError('ERR_CORRUPT_FILE', `Expected ${manifest.tensorsFile} to have SHA-256 ${manifest.tensorsSha256} (from the manifest) but it has ${sha}: the file was changed or truncated`);
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== MANIFEST_FORMAT || metadata.kind !== manifest.kind) throw foreign(`the tensors file says format ${JSON.stringify(metadata.format)} kind ${JSON.stringify(metadata.kind)}`);
  const users = manifest.users;
  const items = manifest.items;
  if (!Number.isInteger(users) || users < 0 || !Number.isInteger(items) || items < 0) throw new ModelError('ERR_CORRUPT_FILE', `Expected user and item counts in the manifest but received ${users} and ${items}`);
  if ((manifest.userIds !== null && manifest.userIds?.length !== users) || (manifest.itemIds !== null && manifest.itemIds?.length !== items)) {
    throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected id maps of ${users} users and ${items} items in the manifest but received ${manifest.userIds?.length} and ${manifest.itemIds?.length}`);
  }
  const indptr = intVector(tensors, 'train.indptr', users + 1);
  const indices = intVector(tensors, 'train.indices');
  const data = tensors['train.data'];
  if (!data || data.dtype !== 'F32' || data.data.length !== indices.length) throw new ModelError('ERR_CORRUPT_FILE', 'Expected an F32 vector train.data as long as train.indices in the saved model');
  const train = { indptr, indices, data: data.data as Float32Array, rows: users, cols: items };
  if (fingerprintCsr(train) !== manifest.dataFingerprint) throw new ModelError('ERR_CORRUPT_FILE', `Expected training data with fingerprint ${manifest.dataFingerprint} but the saved matrix has ${fingerprintCsr(train)}`);
  let model: Recommender;
  try {
    model = factory(manifest.hyperParameters ?? {});
  } catch (e) {
    throw new ModelError('ERR_CORRUPT_FILE', `Expected valid hyper-parameters in the manifest but ${(e as Error).message}`, { cause: e });
  }
  model.restoreCommon(train, new IdIndex(users, manifest.userIds ?? undefined), new IdIndex(items, manifest.itemIds ?? undefined), manifest.dataFingerprint);
  model.restoreState(tensors, manifest.extra ?? {});
  model.completeLoad();
  return model;
}
