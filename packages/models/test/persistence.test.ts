// save → load for every model kind: identical recommendations; the safetensors file parsed by
// Python (numpy when installed); corrupt, foreign and mismatched files rejected with typed errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALS, BPR, decodeSafetensors, EASE, encodeSafetensors, ItemKNN, loadModel, MatrixFactorization, ModelError, Popularity, tensor, type Recommender } from '@souk/models';
import { clustered } from './fixtures.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'souk-models-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const { train } = clustered(40, 60, 3, 0.4, 21);
const userIds = Array.from({ length: 40 }, (_, u) => `user-${u}`);
const itemIds = Array.from({ length: 60 }, (_, i) => `item-${i}`);
const data = { csr: train, userIds, itemIds };

const makers: Array<[string, () => Recommender]> = [
  ['ALS', () => new ALS({ factors: 5, iterations: 4, backend: 'cpu' })],
  ['BPR', () => new BPR({ factors: 5, iterations: 5, threads: 1, backend: 'cpu' })],
  ['MatrixFactorization', () => new MatrixFactorization({ factors: 5, iterations: 5, threads: 1, backend: 'cpu' })],
  ['ItemKNN', () => new ItemKNN({ similarity: 'bm25', neighbours: 10 })],
  ['EASE', () => new EASE({ regularization: 5 })],
  ['Popularity', () => new Popularity()],
];

// /usr/bin/python3 first (the project's reference interpreter), then python3 on PATH.
const python = (() => {
  const why: string[] = [];
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { ok: true as const, exe };
    why.push(`${exe}: ${(r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1)}`);
  }
  return { ok: false as const, exe: '', why: why.join('; ') };
})();
if (!python.ok) console.warn(`[skip] numpy parsing of safetensors: no python3 can import numpy (${python.why})`);

describe.each(makers)('%s save → load', (kind, make) => {
  it('gives identical recommendations, neighbours and ids', async () => {
    const model = make();
    await model.fit(data);
    const dir = tempDir();
    const manifest = await model.save(dir);
    expect(manifest.kind).toBe(kind);
    const loaded = await loadModel(dir);
    expect(loaded.kind).toBe(kind);
    expect(loaded.hyperParameters).toEqual(model.hyperParameters);
    expect(loaded.fingerprint).toBe(model.fingerprint);
    const users = userIds.slice(0, 40);
    const a = await model.recommend(users, { k: 7 });
    const b = await loaded.recommend(users, { k: 7 });
    expect(b.indices).toEqual(a.indices);
    expect(b.scores).toEqual(a.scores);
    expect(b.ids(3)).toEqual(a.ids(3));
    expect(loaded.similarItems('item-4', { k: 5 })).toEqual(model.similarItems('item-4', { k: 5 }));
  });

  it.skipIf(!python.ok)('is readable by numpy: header, dtypes, shapes and values', async () => {
    const model = make();
    await model.fit(data);
    const dir = tempDir();
    const manifest = await model.save(dir);
    const script = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__')
out = {'meta': meta, 'tensors': {}}
dt = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4'}
for name, t in header.items():
    b, e = t['data_offsets']
    a = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=dt[t['dtype']]).reshape(t['shape'])
    out['tensors'][name] = {'shape': list(a.shape), 'sum': float(a.astype(np.float64).sum()), 'first': float(a.flat[0]) if a.size else None}
print(json.dumps(out))
`;
    const r = spawnSync(python.exe, ['-c', script, join(dir, manifest.tensorsFile)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as { meta: Record<string, string>; tensors: Record<string, { shape: number[]; sum: number; first: number | null }> };
    expect(parsed.meta).toEqual({ format: 'souk-model', kind });
    const ours = decodeSafetensors(readFileSync(join(dir, manifest.tensorsFile))).tensors;
    expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(ours).sort());
    for (const [name, t] of Object.entries(ours)) {
      expect(parsed.tensors[name]!.shape).toEqual([...t.shape]);
      const sum = Array.from(t.data as ArrayLike<number>).reduce((s, v) => s + v, 0);
      expect(parsed.tensors[name]!.sum).toBeCloseTo(sum, 3);
      expect(parsed.tensors[name]!.first).toBe(t.data.length ? t.data[0] : null);
    }
  });
});

describe('loading bad files', () => {
  async function saved(): Promise<string> {
    const model = new ALS({ factors: 3, iterations: 2, backend: 'cpu' });
    await model.fit(data);
    const dir = tempDir();
    await model.save(dir);
    return dir;
  }
  const codeOf = (e: unknown) => (e instanceof ModelError ? e.code : `not a ModelError: ${String(e)}`);

  it('a flipped byte in the tensors is ERR_CORRUPT_FILE', async () => {
    const dir = await saved();
    const file = join(dir, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    expect(codeOf(await loadModel(dir).catch((e) => e))).toBe('ERR_CORRUPT_FILE');
  });

  it('a truncated file is ERR_CORRUPT_FILE even when the manifest hash is updated to match', async () => {
    const dir = await saved();
    const file = join(dir, 'model.safetensors');
    const bytes = readFileSync(file).subarray(0, 100);
    writeFileSync(file, bytes);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    manifest.tensorsSha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(codeOf(await loadModel(dir).catch((e) => e))).toBe('ERR_CORRUPT_FILE');
  });

  it('NaN factors in an otherwise valid file are ERR_CORRUPT_FILE', async () => {
    const dir = await saved();
    const file = join(dir, 'model.safetensors');
    const { tensors, metadata } = decodeSafetensors(readFileSync(file));
    (tensors.user_factors!.data as Float32Array)[0] = NaN;
    const bytes = encodeSafetensors(tensors, metadata);
    writeFileSync(file, bytes);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    manifest.tensorsSha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(codeOf(await loadModel(dir).catch((e) => e))).toBe('ERR_CORRUPT_FILE');
  });

  it('a foreign manifest, a missing one, or an unknown kind is ERR_FOREIGN_FILE', async () => {
    const dir = await saved();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'pytorch', model: 'resnet' }));
    expect(codeOf(await loadModel(dir).catch((e) => e))).toBe('ERR_FOREIGN_FILE');
    expect(codeOf(await loadModel(tempDir()).catch((e) => e))).toBe('ERR_FOREIGN_FILE');
    const dir2 = await saved();
    const manifest = JSON.parse(readFileSync(join(dir2, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir2, 'manifest.json'), JSON.stringify({ ...manifest, kind: 'DeepFM' }));
    expect(codeOf(await loadModel(dir2).catch((e) => e))).toBe('ERR_FOREIGN_FILE');
    writeFileSync(join(dir2, 'manifest.json'), 'not json {');
    expect(codeOf(await loadModel(dir2).catch((e) => e))).toBe('ERR_FOREIGN_FILE');
  });

  it('id maps that do not match the tensors are ERR_ID_MAP_MISMATCH', async () => {
    const dir = await saved();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, userIds: manifest.userIds.slice(1) }));
    expect(codeOf(await loadModel(dir).catch((e) => e))).toBe('ERR_ID_MAP_MISMATCH');
  });

  it('decodeSafetensors rejects a header length past the end and overlapping ranges', () => {
    const good = encodeSafetensors({ a: tensor(Float32Array.of(1, 2)), b: tensor(Int32Array.of(3)) });
    const bad = Buffer.from(good);
    bad.writeBigUInt64LE(10_000n, 0);
    expect(() => decodeSafetensors(bad)).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT_FILE' }));
    const header = JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } });
    const buf = Buffer.alloc(8 + header.length + 8);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    buf.write(header, 8);
    expect(() => decodeSafetensors(buf)).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT_FILE' }));
    expect(decodeSafetensors(good).tensors.b!.data).toEqual(Int32Array.of(3));
  });
});
