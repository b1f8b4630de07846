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
