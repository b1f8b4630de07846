/**
 * Which deployment to put back: the `target` and `from` inputs parsed into references, the rules
 * that make a deployment a fit rollback target, and the search for "previous" that records why
 * each newer deployment was passed over (the dry-run plan prints it).
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Deployment } from './model.js';

export type DeploymentRef = { kind: 'previous' } | { kind: 'last-verified' } | { kind: 'id'; id: string } | { kind: 'url'; host: string } | { kind: 'sha'; sha: string };

const SHAPES = '"previous", "last-verified", a deployment id (dpl_…), a deployment URL (https://…vercel.app) or a commit SHA (7 to 40 hex characters)';

export function parseDeploymentRef(raw: string, inputName: 'target' | 'from'): DeploymentRef {
  const value = raw.trim();
  if (inputName === 'target' && value.toLowerCase() === 'previous') return { kind: 'previous' };
  if (inputName === 'target' && value.toLowerCase() === 'last-verified') return { kind: 'last-verified' };
  if (/^dpl_[A-Za-z0-9]+$/.test(value)) return { kind: 'id', id: value };
  if (/^[0-9a-f]{7,40}$/i.test(value)) return { kind: 'sha', sha: value.toLowerCase() };
  const hostLike = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;
  if (/^https?:\/\//i.test(value)) {
    try {
      const host = new URL(value).host.toLowerCase();
      if (hostLike.test(host)) return { kind: 'url', host };
    } catch {
      // reported below with the accepted shapes
    }
  } else if (hostLike.test(value)) {
    return { kind: 'url', host: value.toLowerCase() };
  }
  const shapes = inputName === 'target' ? SHAPES : SHAPES.replace('"previous", "last-verified", ', '');
  throw new RollbackKitError(`Input ${inputName} must be ${shapes}; got "${raw}".`, `Copy the id or URL from the Vercel dashboard, or leave ${inputName} ${inputName === 'target' ? 'as previous' : 'empty'}.`);
}

export function describeRef(ref: DeploymentRef): string {
  switch (ref.kind) {
    case 'previous':
      return 'the previous production deployment';
    case 'last-verified':
      return 'the newest production deployment whose commit carries the rollback-kit/verified status';
    case 'id':
      return ref.id;
    case 'url':
      return ref.host;
    case 'sha':
      return `commit ${ref.sha}`;
  }
}

/** Whether a deployment is the one a reference names (without asking Vercel). */
export function refMatches(ref: DeploymentRef, d: Deployment): boolean {
  switch (ref.kind) {
    case 'previous':
    case 'last-verified':
      return false;
    case 'id':
      return d.id === ref.id;
    case 'url':
      return d.url?.toLowerCase() === ref.host || d.aliases.some((a) => a.toLowerCase() === ref.host);
    case 'sha':
      return !!d.commitSha && d.commitSha.toLowerCase().startsWith(ref.sha);
  }
}

/** Served production before: Vercel's own flag when present, else the substate (STAGED never did). */
export function hasServedProduction(d: Deployment): boolean {
  if (d.isRollbackCandidate !== undefined) return d.isRollbackCandidate || d.readySubstate === 'PROMOTED';
  return d.readySubstate !== 'STAGED';
}

/**
 * Why a deployment cannot be what `previous` means, or undefined when it can. `excluded` holds the
 * deployments production was moved away from as bad (history.ts), with the reason.
 */
export function skipReason(d: Deployment, current: Deployment, excluded?: ReadonlyMap<string, string>): string | undefined {
  if (d.id === current.id) return 'serves production now';
  const taken = excluded?.get(d.id);
  if (taken) return taken;
  if (d.target !== 'production') return d.target ? `target is ${d.target}, not production` : 'preview deployment';
  if (d.readyState !== 'READY') return `state is ${d.readyState ?? 'unknown'}, not READY`;
  if (!hasServedProduction(d)) return `never served production (${d.readySubstate ?? 'not a rollback candidate'})`;
  if (current.commitSha && d.commitSha && d.commitSha === current.commitSha) return `built from the same commit ${d.commitSha.slice(0, 7)} as production`;
  if (d.createdAt >= current.createdAt) return 'newer than the deployment serving production';
  return undefined;
}

export interface Skipped {
  deployment: Deployment;
  reason: string;
}

/** Skipped deployments kept with their reason; past this many only their reasons are counted. */
export const SKIPPED_KEPT = 50;

/** A reason without the detail that differs per deployment (the commit), for counting. */
export function reasonKind(reason: string): string {
  return reason.replace(/ commit [0-9a-f]+ /, ' commit ');
}

export interface PreviousSearch {
  chosen?: Deployment;
  /** The first SKIPPED_KEPT passed over, newest first. */
  skipped: Skipped[];
  /** Every deployment passed over, counted by reasonKind. */
  skippedKinds: Map<string, number>;
  seen: number;
}

/**
 * Every listed deployment but the one in production, newest first, with why it cannot be
 * `previous` (undefined when it can); `count.seen` counts every one read, production's too.
 */
async function* candidates(current: Deployment, pages: AsyncIterable<Deployment[]>, excluded: ReadonlyMap<string, string> | undefined, count: { seen: number }): AsyncGenerator<{ deployment: Deployment; reason?: string }> {
  for await (const page of pages) {
    for (const deployment of page) {
      count.seen++;
      if (deployment.id !== current.id) yield { deployment, reason: skipReason(deployment, current, excluded) };
    }
  }
}

/** Walks pages (newest first) to the first fit deployment, keeping the reasons for the rest. */
export async function findPrevious(current: Deployment, pages: AsyncIterable<Deployment[]>, excluded?: ReadonlyMap<string, string>): Promise<PreviousSearch> {
  const skipped: Skipped[] = [];
  const skippedKinds = new Map<string, number>();
  const count = { seen: 0 };
  for await (const { deployment: d, reason } of candidates(current, pages, excluded, count)) {
    if (!reason) return { chosen: d, skipped, skippedKinds, seen: count.seen };
    if (skipped.length < SKIPPED_KEPT) skipped.push({ deployment: d, reason });
    skippedKinds.set(reasonKind(reason), (skippedKinds.get(reasonKind(reason)) ?? 0) + 1);
  }
  return { skipped, skippedKinds, seen: count.seen };
}

/** "9,990 never served production (STAGED), 3 built from the same commit as production". */
export function describeKinds(kinds: Map<string, number>): string {
  return [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}`).join(', ');
}

/** Refuses an explicit target that cannot safely be put into production by this method. */
export function checkExplicitTarget(d: Deployment, projectName: string, method: 'rollback' | 'promote'): void {
  const name = `${d.id}${d.url ? ` (${d.url})` : ''}`;
  if (d.target !== 'production') {
    throw new RollbackKitError(
      `Deployment ${name} is a ${d.target ? `${d.target}` : 'preview'} deployment of project ${projectName}, not a production one: promoting it would start a new production build, not a rollback.`,
      'Choose a production deployment as target (or leave target as previous).',
    );
  }
  if (d.readyState !== 'READY') {
    throw new RollbackKitError(`Deployment ${name} of project ${projectName} is ${d.readyState ?? 'in an unknown state'}, not READY: it cannot serve traffic.`, 'Choose a READY production deployment as target.');
  }
  if (method === 'rollback' && !hasServedProduction(d)) {
    throw new RollbackKitError(
      `Deployment ${name} of project ${projectName} has never served production (${d.readySubstate ?? 'not a rollback candidate'}), so Vercel does not allow an instant rollback to it.`,
      'Use method: promote to put it into production.',
    );
  }
}

/** Reads a commit's rollback-kit/verified status (src/github/commit-status.ts). */
export type VerifiedLookup = (sha: string) => Promise<{ verified: boolean; state?: string; description?: string }>;

/** Commits asked about at most: each is one request, and a rollback must not wait on a long history. */
export const MAX_VERIFIED_LOOKUPS = 50;

/**
 * Like findPrevious, and the commit must carry a successful rollback-kit/verified status: the
 * newest deployment that passed its checks after going live. Every newer one is listed with why
 * it was passed over (not eligible, no commit SHA, not verified, verification failed).
 */
export async function findLastVerified(
  current: Deployment,
  pages: AsyncIterable<Deployment[]>,
  lookup: VerifiedLookup,
  maxLookups = MAX_VERIFIED_LOOKUPS,
  excluded?: ReadonlyMap<string, string>,
): Promise<{ chosen?: Deployment; skipped: Skipped[]; seen: number; lookups: number }> {
  const skipped: Skipped[] = [];
  const known = new Map<string, Awaited<ReturnType<VerifiedLookup>>>();
  const count = { seen: 0 };
  for await (const { deployment: d, reason } of candidates(current, pages, excluded, count)) {
    if (reason) {
      skipped.push({ deployment: d, reason });
      continue;
    }
    if (!d.commitSha) {
      skipped.push({ deployment: d, reason: 'carries no commit SHA, so no verification can be recorded for it' });
      continue;
    }
    const sha = d.commitSha.toLowerCase();
    if (!known.has(sha)) {
      if (known.size >= maxLookups) return { skipped, seen: count.seen, lookups: known.size };
      known.set(sha, await lookup(sha));
    }
    const state = known.get(sha)!;
    if (state.verified) return { chosen: d, skipped, seen: count.seen, lookups: known.size };
    const short = sha.slice(0, 7);
    skipped.push({
      deployment: d,
      reason: state.state
        ? `commit ${short}'s rollback-kit/verified status is ${state.state}${state.description ? ` ("${state.description}")` : ''}`
        : `commit ${short} carries no rollback-kit/verified status (never passed its checks after going live, or they were not recorded)`,
    });
  }
  return { skipped, seen: count.seen, lookups: known.size };
}
