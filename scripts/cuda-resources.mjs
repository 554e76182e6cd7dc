#!/usr/bin/env node
// scripts/cuda-resources.mjs: checks the CUDA kernels' static resource usage (ptxas -v) against the
// checked-in budget cuda/resource-budget.json. Reads every *.log under --logs (written by
// cuda/tools/ptxas-log.sh while nvcc builds souk_cuda_kernels), parses per kernel x architecture:
// registers, static shared memory, stack frame, spill stores/loads, barriers; fails (exit 1) when a
// kernel exceeds its budget, spills, or is missing from the budget; warns about budget entries no
// log mentions. Prints (and with --table writes) a markdown table. --write regenerates the budget
// from the logs (registers rounded up to a multiple of 8 plus 8 of headroom; smem and stack exact),
// for review in a diff. No dependencies; O(size of the logs).
// Usage: node scripts/cuda-resources.mjs --logs <dir> [--budget cuda/resource-budget.json] [--table out.md] [--write]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const logs = opt('--logs', join(root, 'build', 'simt-tests', 'cuda', 'ptxas-logs'));
const budgetPath = opt('--budget', join(root, 'cuda', 'resource-budget.json'));
const tablePath = opt('--table', null);
const write = argv.includes('--write');

// _ZN9souk_cuda17topk_dense_kernelILi1024ELi8EEEv... -> topk_dense_kernel<1024,8>
function kernelName(mangled) {
  let s = mangled;
  if (!s.startsWith('_ZN')) return s;
  s = s.slice(3);
  const parts = [];
  let args = '';
  while (/^\d/.test(s)) {
    const len = parseInt(s, 10);
    s = s.slice(String(len).length);
    parts.push(s.slice(0, len));
    s = s.slice(len);
    if (s.startsWith('I')) {
      const vals = [];
      s = s.slice(1);
      let m;
      while ((m = /^Li(-?\d+)E/.exec(s))) {
        vals.push(m[1]);
        s = s.slice(m[0].length);
      }
      args = `<${vals.join(',')}>`;
      break;
    }
  }
  return parts.length ? parts[parts.length - 1] + args : mangled;
}

function parse(text) {
  const rows = [];
  let cur = null;
  for (const line of text.split('\n')) {
    let m = /Compiling entry function '([^']+)' for '(sm_\d+a?)'/.exec(line);
    if (m) {
      cur = { kernel: kernelName(m[1]), arch: m[2], registers: 0, smem: 0, stack: 0, spillStores: 0, spillLoads: 0, barriers: 0 };
      rows.push(cur);
      continue;
    }
    if (!cur) continue;
    m = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (m) {
      cur.stack = +m[1];
      cur.spillStores = +m[2];
      cur.spillLoads = +m[3];
    }
    m = /Used (\d+) registers/.exec(line);
    if (m) {
      cur.registers = +m[1];
      const b = /used (\d+) barriers/.exec(line);
      if (b) cur.barriers = +b[1];
      const sm = /(\d+) bytes smem/.exec(line);
      if (sm) cur.smem = +sm[1];
    }
  }
  return rows;
}

if (!existsSync(logs)) {
  console.error(`cuda-resources: no ptxas logs at ${logs} (build souk_cuda_kernels with nvcc first)`);
  process.exit(1);
}
// One entry per kernel x arch (a kernel compiled in several objects must agree; keep the largest).
const seen = new Map();
for (const f of readdirSync(logs).filter((f) => f.endsWith('.log')).sort()) {
  for (const r of parse(readFileSync(join(logs, f), 'utf8'))) {
    const key = `${r.kernel}@${r.arch}`;
    const old = seen.get(key);
    if (!old || r.registers > old.registers) seen.set(key, { ...r, file: f });
  }
}
const rows = [...seen.values()].sort((a, b) => (a.kernel + a.arch).localeCompare(b.kernel + b.arch));
if (!rows.length) {
  console.error(`cuda-resources: no "Compiling entry function" lines in ${logs}/*.log`);
  process.exit(1);
}

if (write) {
  const kernels = {};
  for (const r of rows) {
    kernels[r.kernel] ??= {};
    kernels[r.kernel][r.arch] = { registers: Math.ceil(r.registers / 8) * 8 + 8, smem: r.smem, stack: r.stack };
  }
  writeFileSync(budgetPath, JSON.stringify({
    comment: 'Per kernel x architecture ceilings for ptxas -v (scripts/cuda-resources.mjs). registers: measured rounded up to 8, +8; smem: static shared bytes, exact; stack: bytes, 0 (no local memory). Spills are always an error. Regenerate with --write and review the diff.',
    kernels,
  }, null, 2) + '\n');
  console.log(`cuda-resources: wrote ${budgetPath} (${rows.length} kernel x arch entries)`);
  process.exit(0);
}

const budget = JSON.parse(readFileSync(budgetPath, 'utf8')).kernels || {};
const errors = [];
const table = ['| kernel | arch | registers (budget) | smem B (budget) | stack B (budget) | spills | barriers |', '|---|---|---|---|---|---|---|'];
for (const r of rows) {
  const b = budget[r.kernel]?.[r.arch];
  if (!b) errors.push(`${r.kernel} on ${r.arch}: not in ${budgetPath} (add it, e.g. with --write)`);
  else {
    if (r.registers > b.registers) errors.push(`${r.kernel} on ${r.arch}: ${r.registers} registers > budget ${b.registers}`);
    if (r.smem > b.smem) errors.push(`${r.kernel} on ${r.arch}: ${r.smem} bytes smem > budget ${b.smem}`);
    if (r.stack > b.stack) errors.push(`${r.kernel} on ${r.arch}: ${r.stack} bytes stack > budget ${b.stack}`);
  }
  if (r.spillStores || r.spillLoads) errors.push(`${r.kernel} on ${r.arch}: spills (${r.spillStores} B stores, ${r.spillLoads} B loads)`);
  table.push(`| ${r.kernel} | ${r.arch} | ${r.registers} (${b?.registers ?? '-'}) | ${r.smem} (${b?.smem ?? '-'}) | ${r.stack} (${b?.stack ?? '-'}) | ${r.spillStores + r.spillLoads} | ${r.barriers} |`);
}
for (const [k, archs] of Object.entries(budget))
  for (const a of Object.keys(archs))
    if (!seen.has(`${k}@${a}`)) console.warn(`cuda-resources: warning: budget entry ${k} on ${a} matches no compiled kernel`);
console.log(table.join('\n'));
if (tablePath) writeFileSync(tablePath, table.join('\n') + '\n');
if (errors.length) {
  console.error(`cuda-resources: FAILED\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log(`cuda-resources: ok (${rows.length} kernel x arch entries within budget, no spills)`);
