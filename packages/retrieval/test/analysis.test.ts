import { describe, expect, it } from 'vitest';
import { TextAnalyzer, foldText } from '../src/index.js';

describe('foldText', () => {
  it('lower-cases without locale rules, folds accents and full-width forms, removes control characters', () => {
    expect(foldText('L’ORÉAL Crème')).toBe('l’oreal creme');
    expect(foldText('ＩＳＴＡＮＢＵＬ')).toBe('istanbul');
    expect(foldText('Ångström\u0000naïve\u200b')).toBe('angstrom naive ');
    // Japanese voicing marks are not accents: が stays が.
    expect(foldText('ガラス')).toBe('ガラス');
  });
});

describe('TextAnalyzer, English and other scripts', () => {
  const analyzer = new TextAnalyzer();
  it('splits on Unicode word rules and keeps brand words whole', () => {
    expect(analyzer.analyzeQuery("L'Oréal noise-cancelling Headphones, 2-pack")).toEqual(['loreal', 'noise', 'cancelling', 'headphones', '2', 'pack']);
    expect(analyzer.analyzeQuery("Levi's De'Longhi 128GB")).toEqual(['levis', 'delonghi', '128gb']);
  });
  it('handles Cyrillic, Greek and punctuation-only text', () => {
    expect(analyzer.analyzeQuery('Ёлка ΚΑΦΈΣ')).toEqual(['елка', 'καφεσ']);
    expect(analyzer.analyzeQuery('καφές')).toEqual(analyzer.analyzeQuery('ΚΑΦΈΣ'));
    expect(analyzer.analyzeQuery(' ,.;!? ')).toEqual([]);
  });
});

describe('TextAnalyzer, Chinese', () => {
  it('keeps brands and product words whole with the catalog dictionary', () => {
    const analyzer = new TextAnalyzer(['水星家纺', '三只松鼠', '珀莱雅', 'T恤', '华为']);
    expect(analyzer.analyzeQuery('华为手机T恤男款')).toEqual(['华为', '手机', 't恤', '男', '款']);
    expect(analyzer.analyzeQuery('水星家纺 新款四件套')).toEqual(['水星家纺', '新款', '四件套']);
    expect(analyzer.analyzeQuery('三只松鼠坚果')).toEqual(['三只松鼠', '坚果']);
    expect(analyzer.analyzeQuery('珀莱雅面霜')).toEqual(['珀莱雅', '面霜']);
  });
  it('without the dictionary jieba splits unknown brands (the reason for the user dictionary)', () => {
    expect(new TextAnalyzer().analyzeQuery('水星家纺')).not.toEqual(['水星家纺']);
  });
  it('segments mixed Chinese and Latin text', () => {
    const analyzer = new TextAnalyzer(['华为']);
    expect(analyzer.analyzeQuery('华为Mate60 Pro手机 ２５６ＧＢ')).toEqual(['华为', 'mate60', 'pro', '手机', '256gb']);
    expect(analyzer.analyzeQuery('Apple苹果iPhone')).toEqual(['apple', '苹果', 'iphone']);
  });
  it('indexes sub-words of long words so a short query finds them', () => {
    const analyzer = new TextAnalyzer();
    expect(analyzer.analyzeQuery('智能手机')).toEqual(['智能手机']);
    expect(analyzer.analyzeForIndex('智能手机')).toEqual(expect.arrayContaining(['智能手机', '手机', '智能']));
  });
  it('does not match a protected Latin-edged word inside a longer Latin word', () => {
    const analyzer = new TextAnalyzer(['T恤']);
    expect(analyzer.analyzeQuery('ST恤')).not.toContain('t恤');
    expect(analyzer.analyzeQuery('白色T恤')).toContain('t恤');
  });
});
