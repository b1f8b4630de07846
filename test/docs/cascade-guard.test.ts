// The cascade guard tells a deployment event from a person by GITHUB_EVENT_NAME. The READMEs list
// those events where an on-call engineer reads why an automatic run did not roll back again: the
// list must be the code's, or a team wiring its own trigger (a status, a check run) is surprised.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startedByDeploymentEvent } from '../../src/pipeline/automatic.js';
import { PROVIDERS } from '../../src/platforms/promote.js';
import { ROOT } from '../helpers/run-action.js';

/** Every event a workflow might start a rollback on: the guard's own and those of a person or a schedule. */
const EVENTS = [
  'deployment_status', 'deployment', 'repository_dispatch', 'workflow_run', 'status', 'check_run', 'check_suite',
  'workflow_dispatch', 'workflow_call', 'push', 'schedule', 'pull_request', 'release', 'merge_group',
];

/** The backticked names in the parenthesis after "started by a deployment event". */
function listedEvents(markdown: string): Set<string> {
  const m = /started by a deployment event \(([^)]*)\)/.exec(markdown.replace(/\s+/g, ' '));
  expect(m, 'the sentence listing the deployment events').not.toBeNull();
  return new Set([...m![1]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!));
}

describe.each(['README.md', 'actions/promote-previous/README.md'])('%s', (file) => {
  it('lists exactly the events the cascade guard counts as a deployment event', () => {
    const listed = listedEvents(readFileSync(join(ROOT, file), 'utf8'));
    for (const event of EVENTS) expect(listed.has(event), event).toBe(startedByDeploymentEvent(event));
  });
});

describe('README.md: which providers have the cascade guard', () => {
  it('names every provider in the table of how each tells a release a rollback put there', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**No rollback cascade.**'), readme.indexOf('To go back to the last deployment that passed these checks'));
    const rows = [...section.matchAll(/^\| `([a-z-]+)` \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(rows.map(([p]) => p)).toEqual([...PROVIDERS]);
    // The one that cannot tell says so; the others say what they read.
    expect(Object.fromEntries(rows).command).toMatch(/^cannot tell/);
  });
});
