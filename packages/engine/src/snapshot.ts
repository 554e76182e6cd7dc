/**
 * The state snapshot: what replaying every stored event rebuilds (profiles, popularity, the event
 * count), written when the engine closes so that the next open reads it instead of replaying.
 * It is used only when the store still matches the fingerprint taken at close (event, item and
 * erasure counts, cleaning marks and the sources' ingest times); anything else — a crash, an
 * ingest by another process — falls back to the full replay. The file is removed once read, so a
 * crash before the next clean close can never leave a stale snapshot behind.
 *
 * Format: JSON Lines; the first line is the header (format, version, fingerprint, event count,
 * popularity), each further line one profile (`UserProfile.toJSON()`). (Saving the text index
 * too was tried and dropped: at 100,000 items loading it saved nothing measurable over
 * rebuilding it, and cost memory.)
 * @packageDocumentation
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { DataStore } from '@souk/data';
import type { ProfileJson, ProfileStore } from '@souk/profiles';

/** Format tag of the snapshot's header. */
export const SNAPSHOT_FORMAT = 'souk-engine-state';
/** Version of the snapshot format. */
export const SNAPSHOT_VERSION = 1;

/** What a snapshot restores. */
export interface StateSnapshot {
  /** Stored events (not removed by cleaning). */
  readonly eventsTotal: number;
  /** Engagement count per item. */
  readonly popularity: Map<string, number>;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly fingerprint: string;
  readonly eventsTotal: number;
  readonly popularity: Array<[string, number]>;
}

/** A fingerprint of what the replay depends on in the store. */
export async function storeFingerprint(store: DataStore): Promise<string> {
  const sources = (await store.listSources()).map((s) => [s.id, s.ingestedAt]);
  return JSON.stringify({
    events: await store.countRows('events', true),
    kept: await store.countRows('events'),
    items: await store.countRows('items'),
    erasures: (await store.listErasures()).length,
    removals: await store.removalCounts(),
    sources,
  });
}

/** Writes the snapshot (temporary file, then rename). */
export async function writeSnapshot(path: string, fingerprint: string, state: { eventsTotal: number; popularity: ReadonlyMap<string, number>; profiles: ProfileStore }): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  const header: Header = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, fingerprint, eventsTotal: state.eventsTotal, popularity: [...state.popularity] };
  await write(JSON.stringify(header));
  for (const user of state.profiles.users()) await write(JSON.stringify(state.profiles.get(user)!.toJSON()));
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
}

/**
 * Reads and removes the snapshot, handing each profile to `restore` as it is read (so the parsed
 * JSON of 50,000 profiles never sits in memory at once: it dies young instead of filling the old
 * generation, where every later young collection would pay for its pages until a full one).
 * Undefined when there is none, it is unreadable, `restore` throws, or the fingerprint differs;
 * the caller then discards what it restored and replays.
 */
export async function takeSnapshot(path: string, fingerprint: string, restore: (profile: ProfileJson) => void): Promise<StateSnapshot | undefined> {
  try {
    return await readSnapshot(path, fingerprint, restore);
  } finally {
    await rm(path, { force: true }).catch(() => undefined);
  }
}

async function readSnapshot(path: string, fingerprint: string, restore: (profile: ProfileJson) => void): Promise<StateSnapshot | undefined> {
  let header: Header | undefined;
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!header) {
        header = JSON.parse(line) as Header;
        if (header.format !== SNAPSHOT_FORMAT || header.version !== SNAPSHOT_VERSION || header.fingerprint !== fingerprint) {
          lines.close();
          return undefined;
        }
      } else if (line.length > 0) restore(JSON.parse(line) as ProfileJson);
    }
  } catch {
    return undefined;
  }
  if (!header) return undefined;
  return { eventsTotal: header.eventsTotal, popularity: new Map(header.popularity) };
}
