// CPU time per thread of a process over a window, from /proc (Linux; undefined elsewhere): where a
// server's cores go under load — its event loop (the thread whose id is the process id), its
// worker threads and GC helpers, and the load generator itself, which shares the machine.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime ticks of each thread of `pid`, or undefined without /proc. */
export function threadTicks(pid: number): Map<number, number> | undefined {
  try {
    const out = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        // Fields after the command (which may hold spaces) start after the last ')'.
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(tid), Number(rest[11]) + Number(rest[12]));
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** One process's CPU over a window, in cores (1 = one core busy all the time). */
export interface ProcessCpu {
  /** The whole process. */
  readonly total: number;
  /** The main thread (thread id = process id): a Node server's event loop. */
  readonly main: number;
  /** The other threads, busiest first (read workers, append thread, GC and libuv helpers). */
  readonly others: readonly number[];
}

/** CPU per thread between two {@link threadTicks} snapshots taken `seconds` apart. */
export function processCpu(pid: number, before: Map<number, number> | undefined, after: Map<number, number> | undefined, seconds: number): ProcessCpu | undefined {
  if (!before || !after || !(seconds > 0)) return undefined;
  const cores = (tid: number) => ((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) / TICKS_PER_SECOND / seconds;
  let total = 0;
  const others: number[] = [];
  for (const tid of after.keys()) {
    const c = cores(tid);
    total += c;
    if (tid !== pid) others.push(c);
  }
  others.sort((a, b) => b - a);
  return { total, main: cores(pid), others };
}
