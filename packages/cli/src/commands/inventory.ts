/**
 * `souk inventory`: the data inventory report of a data directory, as a readable summary, JSON,
 * Markdown or a self-contained HTML page with charts.
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderInventoryHtml, renderInventoryMarkdown, type InventoryReport } from '@souk/data';
import { addDataDirOption, addExamples, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { withEngine } from '../data-dir.js';
import { emitJson, formatNumber, log, percent, say, table, type Io } from '../output.js';

/** Flags of `souk inventory`. */
export interface InventoryFlags extends CommonFlags {
  readonly dataDir: string;
  readonly html?: string;
  readonly markdown?: string;
}

/** The human summary of an inventory report (what `souk inventory` prints). */
export function inventorySummary(r: InventoryReport): string {
  const out: string[] = [];
  out.push('Assets', table(['asset', 'rows', 'note'], r.assets.map((a) => [a.asset, a.rows, a.note ?? ''])), '');
  const byType = Object.entries(r.events.byType).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${formatNumber(n)}`).join(', ');
  out.push(
    'Events',
    table(
      ['measure', 'value'],
      [
        ['stored', formatNumber(r.events.stored)],
        ['kept after cleaning', formatNumber(r.events.kept)],
        ['by type', byType || '—'],
        ['distinct users', formatNumber(r.events.distinctUsers)],
        ['distinct items', formatNumber(r.events.distinctItems)],
        ['unique (user, item) pairs', formatNumber(r.events.uniquePairs)],
        ['density', percent(r.events.density)],
        ['long tail', `Gini ${r.longTail.gini.toFixed(3)}, top 1 % of items hold ${percent(r.longTail.top1PercentShare)}, top 20 % hold ${percent(r.longTail.top20PercentShare)}`],
        ['per user (median / p90 / max)', `${r.activity.perUser.median} / ${r.activity.perUser.p90} / ${r.activity.perUser.max}`],
        ['per item (median / p90 / max)', `${r.activity.perItem.median} / ${r.activity.perItem.p90} / ${r.activity.perItem.max}`],
        ['time', r.time.first ? `${r.time.first.slice(0, 10)} → ${r.time.last!.slice(0, 10)} (${r.time.spanDays.toFixed(0)} days)` : 'no events'],
        ['cold start (< ' + r.coldStart.threshold + ' interactions)', `users ${percent(r.coldStart.coldUserShare)}, items ${percent(r.coldStart.coldItemShare)}, ${formatNumber(r.coldStart.catalogItemsWithoutEvents)} catalog items never touched`],
      ],
      { maxWidth: 90 },
    ),
    '',
  );
  if (r.funnel.length > 0) {
    out.push('Funnel', table(['from', 'to', 'events to/from', 'users converting'], r.funnel.map((f) => [f.from, f.to, f.eventRatio, percent(f.userConversion)])), '');
  }
  if (r.catalog.items > 0) {
    out.push(`Catalog: ${formatNumber(r.catalog.items)} items, ${formatNumber(r.catalog.brands)} brands`, table(['category', 'items'], r.catalog.topCategories.slice(0, 10).map((c) => [c.category, c.items])), '');
  }
  if (r.transactions.count > 0) {
    out.push(`Transactions: ${formatNumber(r.transactions.count)} orders, ${formatNumber(r.transactions.lines)} lines over ${formatNumber(r.transactions.distinctItems)} items, mean basket ${r.transactions.meanBasketSize.toFixed(2)}`, '');
  }
  if (r.quarantine.length > 0) {
    out.push('Quarantined rows', table(['asset', 'code', 'field', 'rows'], r.quarantine.map((q) => [q.asset, q.code, q.field || '(row)', q.count])), '');
  }
  if (r.findings.length > 0) {
    out.push('Findings', ...r.findings.map((f) => `  - ${f.kind} (${formatNumber(f.count)}): ${f.detail}`), '');
  }
  return out.join('\n');
}

/** Writes a text file, creating its folder. */
export function writeTextFile(path: string, text: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, text);
  return absolute;
}

/** Writes the HTML and Markdown forms of a report where asked; returns the paths written. */
export function writeInventoryFiles(io: Io, report: InventoryReport, files: { html?: string; markdown?: string }): { html?: string; markdown?: string } {
  const written: { html?: string; markdown?: string } = {};
  if (files.html) {
    written.html = writeTextFile(files.html, renderInventoryHtml(report, 'Souk data inventory'));
    log(io, `wrote ${written.html}`);
  }
  if (files.markdown) {
    written.markdown = writeTextFile(files.markdown, renderInventoryMarkdown(report, 'Souk data inventory'));
    log(io, `wrote ${written.markdown}`);
  }
  return written;
}

/** Registers `souk inventory`. */
export function registerInventory(program: Command): void {
  const cmd = program
    .command('inventory')
    .summary('report what a data directory holds (text, JSON, Markdown, HTML)')
    .description('Report what a data directory holds: assets, users and items, density, long tail, activity, field quality, quarantine, cleaning, time coverage, cold start, funnel, lineage')
    .option('--html <file>', 'also write the report as a self-contained HTML page with charts')
    .option('--markdown <file>', 'also write the report as Markdown');
  addDataDirOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, ['souk inventory --data-dir shop', 'souk inventory -d shop --html report/inventory.html --markdown report/inventory.md', 'souk inventory -d shop --json | jq .events']);
  cmd.action(async (flags: InventoryFlags) => {
    const io = ioOf(flags);
    const report = await withEngine(flags.dataDir, {}, (engine) => engine.inventory());
    const written = writeInventoryFiles(io, report, { ...(flags.html ? { html: flags.html } : {}), ...(flags.markdown ? { markdown: flags.markdown } : {}) });
    emitJson(io, { ...report, files: written });
    if (!io.json) say(io, inventorySummary(report));
  });
}
