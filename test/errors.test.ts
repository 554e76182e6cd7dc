// Every package's typed error is a SoukError with its stable code, so one `instanceof` check
// (e.g. in the HTTP service) recognises them all.
import { describe, expect, it } from 'vitest';

import { DataError } from '@souk/data';
import { EngineError } from '@souk/engine';
import { CliError } from '@souk/cli';
import { ServerError } from '@souk/server';
import { KernelError, SoukError, topKSync } from '@souk/kernels';
import { ModelError } from '@souk/models';
import { ProfileError } from '@souk/profiles';
import { RankingError } from '@souk/ranking';
import { RetrievalError } from '@souk/retrieval';

describe('SoukError', () => {
  it('is the base of every package error, keeping name, code, message and cause', () => {
    const cause = new Error('root cause');
    const errors: SoukError[] = [
      new KernelError('Expected k in [1, 4096] for k but received 0', 'ERR_K_RANGE'),
      new DataError('ERR_SCHEMA', 'bad row', { cause }),
      new ModelError('ERR_K_RANGE', 'bad k', { cause }),
      new ProfileError('ERR_ARGUMENT', 'bad profile'),
      new RankingError('ERR_ARGUMENT', 'bad ranking'),
      new RetrievalError('ERR_EMPTY_QUERY', 'empty query'),
      new EngineError('ERR_UNKNOWN_ITEM', 'unknown item', { cause }),
      new ServerError('ERR_UNAUTHORIZED', 'missing key', 401),
      new CliError('ERR_USAGE', 'bad flag'),
    ];
    const names = ['KernelError', 'DataError', 'ModelError', 'ProfileError', 'RankingError', 'RetrievalError', 'EngineError', 'ServerError', 'CliError'];
    errors.forEach((e, i) => {
      expect(e).toBeInstanceOf(SoukError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(names[i]);
      expect(typeof e.code).toBe('string');
      expect(e.code).toMatch(/^ERR_/);
    });
    expect(errors[0]!.message).toBe('Expected k in [1, 4096] for k but received 0');
    expect(errors[1]!.cause).toBe(cause);
    expect(errors[2]!.cause).toBe(cause);
    expect(errors[6]!.cause).toBe(cause);
  });

  it('errors thrown by native code are SoukErrors too', () => {
    const m = { data: new Float32Array([NaN, 1]), rows: 1, cols: 2 };
    try {
      topKSync(m, { data: new Float32Array([1, 2]), rows: 1, cols: 2 }, { k: 1 });
      throw new Error('expected ERR_NON_FINITE');
    } catch (e) {
      expect(e).toBeInstanceOf(SoukError);
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).code).toBe('ERR_NON_FINITE');
    }
  });
});
