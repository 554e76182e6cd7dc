// The SIGKILL durability test of the service benchmark. The server is started on the data
// directory, then each round:
//   1. several clients send event batches, each with a unique batchId and each event with a
//      unique marker (its session id), and record which batches were acknowledged (HTTP 200);
//   2. once `killAfterAcks` batches are acknowledged, SIGKILL the server while the other clients'
//      requests are in flight;
//   3. read the store directly (openSqliteStore on <dataDir>/souk.db, scanEvents): every event of
//      every acknowledged batch must be there exactly once; unacknowledged batches may or may not
//      have landed (counted), but never in part;
//   4. restart the server on the same directory (the next round runs on it) and resend a few
//      acknowledged batches plus every unacknowledged one with the same batchId, as a client
//      retrying would: acknowledged ones must come back as duplicate batches.
// Finally the server is stopped (SIGTERM) and the store read once more: every batch of every
// round is there exactly once.
import { join } from 'node:path';
import { openSqliteStore, seededRandom } from '@souk/data';
import { startServer, type ServerHandle } from './server-process.js';

/** Options of {@link killTest}. */
export interface KillTestOptions {
  readonly repo: string;
  readonly dataDir: string;
  readonly apiKey: string;
  /** The server entry point (default the repository's). */
  readonly bin?: string | undefined;
  /** Directory for the servers' log files. */
  readonly logDir: string;
  /** A server already running on `dataDir` to start with (default: start one). */
  readonly server?: ServerHandle;
  /** Distinguishes this run's markers from every other run's. */
  readonly tag: string;
  readonly rounds: number;
  /** Acknowledged batches before the kill, per round (round r uses entry r - 1, or the last). */
  readonly killAfterAcks: readonly number[];
  readonly clients: number;
  /** Known users and items to build events from. */
  readonly users: readonly string[];
  readonly items: readonly string[];
  /** How many acknowledged batches to resend after each restart. */
  readonly resendAcked: number;
  readonly log: (s: string) => void;
}

/** What one round found. */
export interface KillRoundResult {
  readonly round: number;
  readonly batchesSent: number;
  readonly batchesAcknowledged: number;
  readonly eventsAcknowledged: number;
  /** Requests in flight when the server was killed. */
  readonly inFlightAtKill: number;
  /** Batches answered with a status other than 200 (or with rows rejected) before the kill. */
  readonly batchesRefused: number;
  readonly afterKill: {
    /** Acknowledged events found exactly once. */
    readonly found: number;
    /** Acknowledged events missing (must be 0). */
    readonly lost: number;
    /** Events (acknowledged or not) found more than once (must be 0). */
    readonly duplicates: number;
    /** Unacknowledged batches that landed whole (allowed). */
    readonly unacknowledgedBatchesLanded: number;
    readonly unacknowledgedBatchesMissing: number;
    /** Batches found in part (must be 0: a batch is one transaction). */
    readonly partialBatches: number;
  };
  /** Seconds from spawning the restarted server to its listening line (open + state rebuild). */
  readonly restartSeconds: number;
  readonly resent: {
    readonly acknowledged: number;
    /** Resent acknowledged batches answered as duplicates (must equal `acknowledged`). */
    readonly acknowledgedAnsweredDuplicate: number;
    readonly unacknowledged: number;
    readonly unacknowledgedAnsweredDuplicate: number;
    readonly failed: number;
  };
  /** The store after the last round's graceful stop: this round's batches, resent ones included. */
  readonly final: { readonly expected: number; readonly found: number; readonly lost: number; readonly duplicates: number; readonly partialBatches: number };
  readonly verifySeconds: number;
}

/** What the whole test found. */
export interface KillTestResult {
  readonly firstStartSeconds: number;
  readonly rounds: KillRoundResult[];
  readonly stop: { code: number | null; signal: string | null; seconds: number; forced: boolean };
  /** Every round: nothing acknowledged lost, nothing duplicated, no partial batch, every resent acknowledged batch answered as a duplicate. */
  readonly durable: boolean;
}

interface Batch {
  readonly id: string;
  readonly body: string;
  readonly markers: readonly string[];
  state: 'pending' | 'acked' | 'refused' | 'failed';
}


/** Counts the occurrences of every session id that starts with `prefix`. */
async function markersInStore(dataDir: string, prefix: string): Promise<Map<string, number>> {
  const store = openSqliteStore(join(dataDir, 'souk.db'));
  const counts = new Map<string, number>();
  try {
    for await (const batch of store.scanEvents({ batchSize: 50_000, includeRemoved: true })) {
      for (const e of batch) {
        if (typeof e.session === 'string' && e.session.startsWith(prefix)) counts.set(e.session, (counts.get(e.session) ?? 0) + 1);
      }
    }
  } finally {
    await store.close();
  }
  return counts;
}

function check(batches: readonly Batch[], counts: Map<string, number>) {
  let found = 0;
  let lost = 0;
  let duplicates = 0;
  let landed = 0;
  let missing = 0;
  let partial = 0;
  for (const b of batches) {
    const present = b.markers.filter((m) => (counts.get(m) ?? 0) >= 1).length;
    duplicates += b.markers.filter((m) => (counts.get(m) ?? 0) > 1).length;
    if (present > 0 && present < b.markers.length) partial++;
    if (b.state === 'acked') {
      found += b.markers.filter((m) => counts.get(m) === 1).length;
      lost += b.markers.length - present;
    } else if (present === b.markers.length) landed++;
    else if (present === 0) missing++;
  }
  return { found, lost, duplicates, landed, missing, partial };
}

async function post(url: string, apiKey: string, body: string): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** Runs the test (see the file's comment). */
export async function killTest(options: KillTestOptions): Promise<KillTestResult> {
  const random = seededRandom([...options.tag].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
  const baseTs = Date.now() - 3_600_000;
  let seq = 0;
  const start = (name: string) => startServer({ repo: options.repo, dataDir: options.dataDir, apiKey: options.apiKey, bin: options.bin, logFile: join(options.logDir, `kill-${options.tag}-${name}.log`) });
  let server: ServerHandle = options.server ?? (await start('first'));
  const firstStartSeconds = server.startSeconds;
  if (!options.server) options.log(`  server up in ${server.startSeconds.toFixed(1)} s (pid ${server.pid})`);
  const perRound: Batch[][] = [];
  const partial: Array<Omit<KillRoundResult, 'final'>> = [];

  for (let round = 1; round <= options.rounds; round++) {
    const tag = `${options.tag}r${round}`;
    const threshold = options.killAfterAcks[Math.min(round, options.killAfterAcks.length) - 1]!;
    const batches: Batch[] = [];
    perRound.push(batches);
    const makeBatch = (): Batch => {
      const n = batches.length;
      const id = `${tag}-batch-${n}`;
      const size = 1 + Math.floor(random() * 20);
      const user = options.users[Math.floor(random() * options.users.length)]!;
      const markers: string[] = [];
      const events = Array.from({ length: size }, (_, i) => {
        const session = `${tag}b${n}e${i}`;
        markers.push(session);
        const type = random() < 0.7 ? 'view' : random() < 0.6 ? 'click' : 'cart';
        return { user, item: options.items[Math.floor(random() * options.items.length)]!, type, timestamp: baseTs + seq++, session };
      });
      const batch: Batch = { id, body: JSON.stringify({ batchId: id, events }), markers, state: 'pending' };
      batches.push(batch);
      return batch;
    };

    let acked = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let stop = false;
    let killed: Promise<void> | undefined;
    const target = server;
    const client = async () => {
      while (!stop) {
        const batch = makeBatch();
        inFlight++;
        try {
          const res = await post(target.url, options.apiKey, batch.body);
          const accepted = typeof res.json?.accepted === 'number' ? res.json.accepted : -1;
          if (res.status === 200 && accepted === batch.markers.length) {
            batch.state = 'acked';
            acked++;
          } else batch.state = 'refused';
        } catch {
          batch.state = 'failed';
        } finally {
          inFlight--;
        }
        if (acked >= threshold && !killed) {
          stop = true;
          inFlightAtKill = inFlight;
          killed = target.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: options.clients }, client));
    await killed;
    const refused = batches.filter((b) => b.state === 'refused').length;
    options.log(`  round ${round}: SIGKILL with ${inFlightAtKill} requests in flight; ${acked} of ${batches.length} batches acknowledged${refused ? `, ${refused} refused` : ''}`);

    const verifyStarted = performance.now();
    const afterKill = check(batches, await markersInStore(options.dataDir, `${tag}b`));
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    const unacked = batches.filter((b) => b.state !== 'acked');
    options.log(
      `  round ${round}: in the store after the kill: ${afterKill.found}/${batches.filter((b) => b.state === 'acked').reduce((s, b) => s + b.markers.length, 0)} acknowledged events once, ` +
        `lost ${afterKill.lost}, duplicates ${afterKill.duplicates}, partial batches ${afterKill.partial}, unacknowledged batches landed ${afterKill.landed}/${unacked.length} (read in ${verifySeconds.toFixed(1)} s)`,
    );

    server = await start(`after-round-${round}`);
    options.log(`  round ${round}: restarted in ${server.startSeconds.toFixed(1)} s (pid ${server.pid})`);
    const ackedBatches = batches.filter((b) => b.state === 'acked');
    const step = Math.max(1, Math.floor(ackedBatches.length / Math.max(1, options.resendAcked)));
    const resendAcked = ackedBatches.filter((_, i) => i % step === 0).slice(0, options.resendAcked);
    let ackedDup = 0;
    let unackedDup = 0;
    let failed = 0;
    for (const b of [...resendAcked, ...unacked]) {
      try {
        const res = await post(server.url, options.apiKey, b.body);
        if (res.status !== 200) {
          failed++;
          continue;
        }
        const dup = res.json?.duplicateBatch === true;
        if (b.state === 'acked') ackedDup += dup ? 1 : 0;
        else {
          unackedDup += dup ? 1 : 0;
          b.state = 'acked';
        }
      } catch {
        failed++;
      }
    }
    partial.push({
      round,
      batchesSent: batches.length,
      batchesAcknowledged: ackedBatches.length,
      eventsAcknowledged: ackedBatches.reduce((s, b) => s + b.markers.length, 0),
      inFlightAtKill,
      batchesRefused: refused,
      afterKill: {
        found: afterKill.found,
        lost: afterKill.lost,
        duplicates: afterKill.duplicates,
        unacknowledgedBatchesLanded: afterKill.landed,
        unacknowledgedBatchesMissing: afterKill.missing,
        partialBatches: afterKill.partial,
      },
      restartSeconds: server.startSeconds,
      resent: { acknowledged: resendAcked.length, acknowledgedAnsweredDuplicate: ackedDup, unacknowledged: unacked.length, unacknowledgedAnsweredDuplicate: unackedDup, failed },
      verifySeconds,
    });
  }

  const stopped = await server.stop();
  if (stopped.forced) options.log('  the server did not stop within the grace period after SIGTERM (killed)');
  const finalStarted = performance.now();
  const counts = await markersInStore(options.dataDir, options.tag);
  const finalSeconds = (performance.now() - finalStarted) / 1000;
  const rounds: KillRoundResult[] = partial.map((r, i) => {
    const batches = perRound[i]!;
    const c = check(batches, counts);
    const expected = batches.filter((b) => b.state === 'acked').reduce((s, b) => s + b.markers.length, 0);
    return { ...r, final: { expected, found: c.found, lost: c.lost, duplicates: c.duplicates, partialBatches: c.partial }, verifySeconds: r.verifySeconds + finalSeconds / partial.length };
  });
  for (const r of rounds) {
    options.log(`  round ${r.round}: after restart, resend and stop: ${r.final.found}/${r.final.expected} events once, lost ${r.final.lost}, duplicates ${r.final.duplicates}, partial batches ${r.final.partialBatches}`);
  }
  const durable = rounds.every(
    (r) =>
      r.afterKill.lost === 0 && r.afterKill.duplicates === 0 && r.afterKill.partialBatches === 0 &&
      r.final.lost === 0 && r.final.duplicates === 0 && r.final.partialBatches === 0 &&
      r.resent.acknowledgedAnsweredDuplicate === r.resent.acknowledged && r.resent.failed === 0,
  );
  return { firstStartSeconds, rounds, stop: stopped, durable };
}
