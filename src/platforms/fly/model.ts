/**
 * The fields of Fly releases and machines a rollback needs, read tolerantly: unknown fields
 * ignored, unknown statuses kept; a release without a version or a machine without an id is the
 * only parse error.
 */
import { UnexpectedShape } from '../http/errors.js';
import { obj, str } from '../http/read.js';

export interface FlyRelease {
  id: string;
  version: number;
  /** complete, failed, running, … */
  status: string;
  stable: boolean;
  imageRef?: string;
  createdAt?: string;
}

export interface FlyMachine {
  id: string;
  name?: string;
  state: string;
  region?: string;
  instanceId?: string;
  /** The full config, sent back unchanged except for the image. */
  config: Record<string, unknown>;
  image?: string;
}

export function parseRelease(raw: unknown): FlyRelease {
  const o = obj(raw);
  const version = typeof o?.version === 'number' ? o.version : Number(o?.version);
  if (!o || !Number.isInteger(version)) throw new UnexpectedShape('a Fly release');
  return {
    id: str(o.id) ?? `v${version}`,
    version,
    status: (str(o.status) ?? 'unknown').toLowerCase(),
    stable: o.stable === true,
    imageRef: str(o.imageRef) ?? str(o.image_ref),
    createdAt: str(o.createdAt) ?? str(o.created_at),
  };
}

export function parseMachine(raw: unknown): FlyMachine {
  const o = obj(raw);
  const id = str(o?.id);
  if (!o || !id) throw new UnexpectedShape('a Fly machine');
  const config = obj(o.config) ?? {};
  return { id, name: str(o.name), state: str(o.state) ?? 'unknown', region: str(o.region), instanceId: str(o.instance_id), config, image: str(config.image) };
}

/**
 * The note a rollback leaves in each machine's metadata: the images it moved the machine off as
 * bad, newest last. Updating machines creates no Fly release, so once the next deploy ships,
 * nothing in the release list says the rolled-back release was bad; without the note, `previous`
 * would put it back. flyctl's deploy starts from each machine's own config and only sets its
 * `fly_` keys, so the note survives it.
 */
export const ROLLED_BACK_FROM_KEY = 'rollback_kit_rolled_back_from';
/** Images kept in the note: enough for a run of bad releases, short enough for a metadata value. */
export const ROLLED_BACK_FROM_KEPT = 5;

/** Every image the machines' notes say production was rolled back from. */
export function rolledBackFrom(machines: FlyMachine[]): Set<string> {
  const out = new Set<string>();
  for (const m of machines) {
    const note = obj(m.config.metadata)?.[ROLLED_BACK_FROM_KEY];
    if (typeof note === 'string') for (const image of note.split(/\s+/)) if (image) out.add(image);
  }
  return out;
}

/** The machine's config with the note updated for a rollback to `target`: `from` added, `target` dropped (it was chosen on purpose). */
export function withRollbackNote(config: Record<string, unknown>, from: string[], target: string): Record<string, unknown> {
  const metadata = { ...obj(config.metadata) };
  const earlier = typeof metadata[ROLLED_BACK_FROM_KEY] === 'string' ? (metadata[ROLLED_BACK_FROM_KEY] as string).split(/\s+/) : [];
  const images = [...earlier.filter((i) => i && !from.includes(i)), ...from].filter((i) => i !== target).slice(-ROLLED_BACK_FROM_KEPT);
  if (images.length) metadata[ROLLED_BACK_FROM_KEY] = images.join(' ');
  else delete metadata[ROLLED_BACK_FROM_KEY];
  // A config that had no metadata and gets no note is sent as it was read.
  return config.metadata === undefined && !images.length ? config : { ...config, metadata };
}

export const RELEASE_DONE = new Set(['complete', 'completed', 'succeeded', 'success']);

export const describeRelease = (r: FlyRelease): string => `v${r.version} (${r.id}, ${r.status}${r.stable ? ', stable' : ''}${r.imageRef ? `, image ${r.imageRef}` : ''})`;

/** An image reference split for the registry API: host, repository and tag or digest. */
export function splitImage(ref: string): { host?: string; repository: string; reference: string } | undefined {
  const at = ref.indexOf('@');
  let name = ref;
  let reference: string | undefined;
  if (at >= 0) {
    name = ref.slice(0, at);
    reference = ref.slice(at + 1);
  } else {
    const colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      name = ref.slice(0, colon);
      reference = ref.slice(colon + 1);
    }
  }
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repository = hasHost ? name.slice(slash + 1) : name;
  if (!repository) return undefined;
  return { host: hasHost ? first : undefined, repository, reference: reference ?? 'latest' };
}
