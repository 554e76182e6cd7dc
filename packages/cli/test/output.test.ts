// The CLI's table and text helpers: alignment must hold for Chinese (two columns per character).
import { describe, expect, it } from 'vitest';
import { displayWidth, formatNumber, sideBySide, table } from '../src/output.js';
import { exitCodeOf, CliError, EXIT } from '../src/errors.js';
import { DataError } from '@souk/data';

describe('aligned output', () => {
  it('measures CJK as two columns and aligns a mixed table', () => {
    expect(displayWidth('蓝牙耳机')).toBe(8);
    expect(displayWidth('Bose')).toBe(4);
    const text = table(['title', 'price'], [['华为 智能手机', 1299.5], ['Sony earbuds', 89]]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    // Right-aligned numbers end in the same column on every row.
    const ends = lines.slice(2).map((l) => displayWidth(l));
    expect(ends[0]).toBe(ends[1]);
    expect(lines[2]).toMatch(/^  华为 智能手机\s+1,299\.5$/);
  });

  it('formats numbers for people and places blocks side by side', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(3.14159)).toBe('3.14');
    const joined = sideBySide('a\nbb', 'x\ny\nz', 2).split('\n');
    expect(joined).toEqual(['a   x', 'bb  y', '    z']);
  });
});

describe('exit codes', () => {
  it('maps errors to the documented exit codes by their stable code', () => {
    expect(exitCodeOf(new CliError('ERR_UNKNOWN_MODEL', 'x'))).toBe(EXIT.notFound);
    expect(exitCodeOf(new CliError('ERR_INPUT_MISSING', 'x'))).toBe(EXIT.badInput);
    expect(exitCodeOf(new DataError('ERR_IO', 'x'))).toBe(EXIT.badInput);
    expect(exitCodeOf(Object.assign(new Error('bad port'), { code: 'ERR_CONFIG' }))).toBe(EXIT.usage);
    expect(exitCodeOf(new TypeError('boom'))).toBe(EXIT.failure);
  });
});
