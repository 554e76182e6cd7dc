/**
 * The demo's HTML report: the run's summary, the evaluation table and the transcript, followed
 * by the data inventory (its charts and tables from `renderInventoryHtml`), in one file.
 * @packageDocumentation
 */
import { renderInventoryHtml, type InventoryReport } from '@souk/data';
import type { ModelEvaluation } from '../holdout.js';
import { MODEL_LABELS } from '../models.js';
import type { TranscriptSection } from './transcript.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What the report shows. */
export interface DemoReportInput {
  readonly title: string;
  /** One-line facts (data set, sizes, timings). */
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly k: number;
  readonly evaluation: readonly ModelEvaluation[];
  readonly transcript: readonly TranscriptSection[];
  readonly inventory: InventoryReport;
}

/** Renders the report as one self-contained HTML page. */
export function renderDemoReport(input: DemoReportInput): string {
  const k = input.k;
  const metric = (x: number) => x.toFixed(4);
  const best = Math.max(...input.evaluation.map((e) => e.metrics.ndcg));
  const evaluation = `<table id="evaluation"><thead><tr><th>model</th><th>precision@${k}</th><th>recall@${k}</th><th>nDCG@${k}</th><th>MAP@${k}</th><th>AUC@${k}</th><th>coverage</th><th>fit s</th></tr></thead><tbody>${input.evaluation
    .map(
      (e) =>
        `<tr${e.metrics.ndcg === best ? ' class="best"' : ''}><td>${escape(MODEL_LABELS[e.model])}</td><td>${metric(e.metrics.precision)}</td><td>${metric(e.metrics.recall)}</td><td>${metric(e.metrics.ndcg)}</td><td>${metric(e.metrics.map)}</td><td>${metric(e.metrics.auc)}</td><td>${metric(e.metrics.coverage)}</td><td>${e.fitSeconds.toFixed(2)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  const facts = `<table id="facts"><tbody>${input.facts.map(([a, b]) => `<tr><th>${escape(a)}</th><td>${escape(b)}</td></tr>`).join('')}</tbody></table>`;
  const transcript = input.transcript
    .map((s) => `<section class="step"><h3>${escape(s.title)}</h3>${s.blocks.map((b) => `<pre>${escape(b)}</pre>`).join('')}</section>`)
    .join('\n');
  const head = `<h1>${escape(input.title)}</h1>
${facts}
<h2>Offline evaluation (holdout, top ${k})</h2>
${evaluation}
<h2>Transcript</h2>
<div id="transcript">${transcript}</div>
<h2 id="inventory">Data inventory</h2>
`;
  // The inventory page supplies the styles and charts; its own title heading gives way to ours.
  const page = renderInventoryHtml(input.inventory, 'Data inventory')
    .replace('<title>Data inventory</title>', `<title>${escape(input.title)}</title>`)
    .replace('<h1>Data inventory</h1>', '');
  const style = '<style>pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:12px;line-height:1.35}tr.best td{font-weight:bold}.step h3{margin-bottom:.2em}</style>';
  const bodyAt = page.indexOf('<body>');
  if (bodyAt < 0) return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>${style}</head><body>${head}${page}</body></html>`;
  const withStyle = page.replace('</head>', `${style}</head>`);
  const at = withStyle.indexOf('<body>') + '<body>'.length;
  return withStyle.slice(0, at) + '\n' + head + withStyle.slice(at);
}
