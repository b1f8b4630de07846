// The command recipes of actions/promote-previous/README.md (Kubernetes, Docker Compose, pm2), read
// from the README itself and run through the bundle with stand-in `kubectl`, `docker` and `pm2`
// programs first on PATH. Each stand-in appends its arguments (and the variables a recipe sets) to
// calls.log and keeps a little state, so a verify command passes only when the command before it
// did what the recipe promises: this proves the recipes' commands and their verify-command wiring.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runAction } from '../helpers/run-action.js';

/** The recipe table's rows: platform → [command, verify-command], as a user would copy them. */
async function recipes(): Promise<Map<string, [string, string]>> {
  const text = await readFile(join(ROOT, 'actions/promote-previous/README.md'), 'utf8');
  const start = text.indexOf('| Platform | `command` | `verify-command` |');
  expect(start).toBeGreaterThan(0);
  const rows = new Map<string, [string, string]>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    // Cells are split on pipes not escaped with a backslash; `\|` inside a cell is a shell pipe.
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const code = (c: string) => /^`(.*)`$/.exec(c)![1]!.replace(/\\\|/g, '|');
    rows.set(cells[0]!.split(' ')[0]!, [code(cells[1]!), code(cells[2]!)]);
  }
  return rows;
}

// Stand-ins: each records "<name> <args…>" and answers the way the real tool would for these calls.
const STANDINS: Record<string, string> = {
  // Revisions as Kubernetes keeps them: one image a line, the last one rolled out. An undo rolls the
  // one before the last out again as a new revision, so a second undo brings the bad image back.
  // `rollout status` passes once the latest rollout is done, which is always, unless stalled.
  kubectl: `#!/usr/bin/env bash
echo "kubectl $*" >> "$PWD/calls.log"
case "$1 $2" in
  "get deployment/api") [ "$3 $4" = "-o jsonpath={.spec.template.spec.containers[0].image}" ] || { echo "kubectl stand-in: unexpected $*" >&2; exit 2; }
                        tail -n 1 "$PWD/revisions" ;;
  "rollout undo") prev=$(tail -n 2 "$PWD/revisions" | head -n 1); echo "$prev" >> "$PWD/revisions"
                  echo "deployment.apps/\${3#deployment/} rolled back" ;;
  "rollout status") [ ! -e "$PWD/stalled" ] || { echo "error: rollout not finished" >&2; exit 1; }
                    echo "deployment \\"\${3#deployment/}\\" successfully rolled out" ;;
  *) echo "kubectl stand-in: unexpected $*" >&2; exit 2 ;;
esac
`,
  docker: `#!/usr/bin/env bash
echo "docker $* APP_TAG=\${APP_TAG-}" >> "$PWD/calls.log"
case "$1 $2" in
  "compose up") echo "shop/app:$APP_TAG" > "$PWD/running" ;;
  "compose ps") cat "$PWD/running" ;;
  *) echo "docker stand-in: unexpected $*" >&2; exit 2 ;;
esac
`,
  pm2: `#!/usr/bin/env bash
echo "pm2 $* current=$(readlink "$PWD/current" 2>/dev/null)" >> "$PWD/calls.log"
case "$1" in
  startOrReload) [ -d "$PWD/current" ] || { echo "[PM2][ERROR] Script not found" >&2; exit 1; }; echo online > "$PWD/pm2-status" ;;
  describe) echo "│ status            │ $(cat "$PWD/pm2-status" 2>/dev/null || echo stopped) │" ;;
  *) echo "pm2 stand-in: unexpected $*" >&2; exit 2 ;;
esac
`,
};

const GOOD_IMAGE = 'ghcr.io/acme/api:sha-7f3c2e1';
const BAD_IMAGE = 'ghcr.io/acme/api:sha-9a1b2c3';
const revisions = async (cwd: string) => (await readFile(join(cwd, 'revisions'), 'utf8')).trim().split('\n');

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function workspace(): Promise<{ cwd: string; env: Record<string, string> }> {
  const cwd = await mkdtemp(join(tmpdir(), 'rk-recipe-'));
  dirs.push(cwd);
  const bin = join(cwd, '.bin');
  await mkdir(bin);
  await writeFile(join(cwd, 'revisions'), `${GOOD_IMAGE}\n${BAD_IMAGE}\n`);
  for (const [name, script] of Object.entries(STANDINS)) {
    await writeFile(join(bin, name), script);
    await chmod(join(bin, name), 0o755);
  }
  return { cwd, env: { PATH: `${bin}:${process.env.PATH}` } };
}

const calls = async (cwd: string) => (await readFile(join(cwd, 'calls.log'), 'utf8')).trim().split('\n');

describe('promote-previous command recipes from the README, through the bundle', () => {
  it('Kubernetes: rollout undo of the image in from, then rollout status confirms it; the same run again undoes nothing', async () => {
    const [command, verify] = (await recipes()).get('Kubernetes')!;
    const { cwd, env } = await workspace();
    const inputs = { provider: 'command', from: BAD_IMAGE, command, 'verify-command': verify };
    const r = await runAction('promote-previous', inputs, { cwd, env });
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('rolled-back');
    const get = "kubectl get deployment/api -o jsonpath={.spec.template.spec.containers[0].image}";
    expect(await calls(cwd)).toEqual([get, 'kubectl rollout undo deployment/api', 'kubectl rollout status deployment/api --timeout=120s']);
    expect(r.log).toContain('deployment "api" successfully rolled out');
    expect((await revisions(cwd)).at(-1)).toBe(GOOD_IMAGE);

    // Re-run (the Re-run button, a re-delivered event): a second undo would ship the bad image again.
    const again = await runAction('promote-previous', inputs, { cwd, env });
    expect(again.errors).toEqual([]);
    expect(again.log).toContain(`api runs ${GOOD_IMAGE}, not ${BAD_IMAGE}: nothing to undo`);
    expect(await revisions(cwd)).toEqual([GOOD_IMAGE, BAD_IMAGE, GOOD_IMAGE]);
    expect((await calls(cwd)).filter((c) => c.includes('rollout undo'))).toHaveLength(1);
  });

  it('Kubernetes: without from the recipe refuses and undoes nothing', async () => {
    const [command, verify] = (await recipes()).get('Kubernetes')!;
    const { cwd, env } = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command, 'verify-command': verify }, { cwd, env });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/The rollback command exited with status 1/);
    expect(r.log).toContain('ROLLBACK_FROM: set from to the image being rolled back from');
    expect(await revisions(cwd)).toEqual([GOOD_IMAGE, BAD_IMAGE]);
  });

  it('Kubernetes: a from the deployment does not run (a commit SHA, not an image) undoes nothing, run after run', async () => {
    const [command, verify] = (await recipes()).get('Kubernetes')!;
    const { cwd, env } = await workspace();
    const sha = 'feedfacefeedfacefeedfacefeedfacefeedface';
    for (let i = 0; i < 2; i++) {
      const r = await runAction('promote-previous', { provider: 'command', from: sha, command, 'verify-command': verify }, { cwd, env });
      expect(r.errors).toEqual([]);
      expect(r.log).toContain(`api runs ${BAD_IMAGE}, not ${sha}: nothing to undo`);
      // The command provider cannot tell: it reports what the command's exit 0 means.
      expect(r.outputs.status).toBe('rolled-back');
    }
    expect(await revisions(cwd)).toEqual([GOOD_IMAGE, BAD_IMAGE]);
  });

  it('Kubernetes: a rollout that does not finish fails the step through verify-command', async () => {
    const [, verify] = (await recipes()).get('Kubernetes')!;
    const { cwd, env } = await workspace();
    // The undo "happens" but never completes: the stand-in's status finds no finished rollout.
    const r = await runAction('promote-previous', { provider: 'command', command: 'kubectl rollout undo deployment/api && touch stalled', 'verify-command': verify }, { cwd, env });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/the verify command exited with status 1: the rollback is not confirmed/);
    expect(r.outputs.status).toBe('failed');
  });

  it('Docker Compose: brings the recorded previous tag up and verifies that image runs', async () => {
    const [command, verify] = (await recipes()).get('Docker')!;
    const { cwd, env } = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', target: '2026.11.30-7f3c', from: '2026.12.01-9a1b', command, 'verify-command': verify }, { cwd, env });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': '2026.11.30-7f3c', 'from-deployment-id': '2026.12.01-9a1b' });
    expect(await calls(cwd)).toEqual(['docker compose up -d --wait --wait-timeout 120 app APP_TAG=2026.11.30-7f3c', 'docker compose ps app --format {{.Image}} APP_TAG=']);
  });

  it('Docker Compose: verify-command fails when another image runs', async () => {
    const [, verify] = (await recipes()).get('Docker')!;
    const { cwd, env } = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', target: '2026.11.30-7f3c', command: 'APP_TAG=2026.12.01-9a1b docker compose up -d app', 'verify-command': verify }, { cwd, env });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/the verify command exited with status 1/);
  });

  it('pm2: points current at the release and reloads, and verify sees it online', async () => {
    const [command, verify] = (await recipes()).get('pm2')!;
    const { cwd, env } = await workspace();
    await mkdir(join(cwd, 'releases/v41'), { recursive: true });
    const r = await runAction('promote-previous', { provider: 'command', target: 'v41', command, 'verify-command': verify }, { cwd, env });
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('rolled-back');
    expect(await calls(cwd)).toEqual(['pm2 startOrReload ecosystem.config.js --only api --update-env current=releases/v41', 'pm2 describe api current=releases/v41']);
  });

  it('pm2: a release that is not there fails the command, and verify never runs', async () => {
    const [command, verify] = (await recipes()).get('pm2')!;
    const { cwd, env } = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', target: 'v40', command, 'verify-command': verify }, { cwd, env });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/The rollback command exited with status 1/);
    expect(await calls(cwd)).toEqual(['pm2 startOrReload ecosystem.config.js --only api --update-env current=releases/v40']);
  });
});
