// The runbook's "status updates every 5 minutes during rollback", through the whole rollback from
// the library: runRollback with a command component, the chat deps the action and the command line
// build (tellingDeps) and a local Slack-compatible webhook. Time is a fake clock and a hand-fired
// timer injected through deps: a phase "runs for 6 minutes" when the test moves the clock while it
// is under way and fires the heartbeat's timer, so nothing here waits on the wall clock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { RollbackPlan } from '../../src/pipeline/plan-file.js';
import type { PhaseName } from '../../src/pipeline/record.js';
import { runRollback, type RollbackDeps, type RollbackRequest } from '../../src/pipeline/rollback.js';
import type { HeartbeatTimer } from '../../src/report/heartbeat.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A timer the test fires by hand; it counts what the heartbeat armed and what is still armed. */
function handTimer(): HeartbeatTimer & { fire(): void; armed: number; pending(): number } {
  const ticks = new Map<number, () => void>();
  let id = 0;
  return {
    armed: 0,
    set(tick) {
      this.armed++;
      ticks.set(++id, tick);
      return id;
    },
    clear(handle) {
      ticks.delete(handle as number);
    },
    fire() {
      const due = [...ticks.values()];
      ticks.clear();
      for (const t of due) t();
    },
    pending: () => ticks.size,
  };
}

const SIX_MINUTES = 6 * 60_000;

async function world(opts: { command?: string; component?: string; webhookQuery?: string; webhook?: boolean } = {}) {
  const workspace = await mkdtemp(join(tmpdir(), 'rk-heartbeat-'));
  const receiver: WebhookReceiver = await startWebhookReceiver();
  cleanups.push(async () => {
    await receiver.close();
    await rm(workspace, { recursive: true, force: true });
  });
  const plan: RollbackPlan = {
    source: 'rollback-kit.yml',
    environment: 'production',
    budgetMinutes: 15,
    components: [{ name: opts.component ?? 'web', provider: 'command', target: 'app:v1', command: opts.command ?? 'true', method: 'rollback', apiUrl: '', timeoutSeconds: 20 }],
    labels: ['incident'],
  };
  const request: RollbackRequest = {
    plan,
    scope: [plan.components[0]!.name],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: {},
    workspace,
    snapshotDir: join(workspace, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: { PATH: process.env.PATH },
  };
  const log = memoryLog();
  const webhookUrl = opts.webhook === false ? undefined : `${receiver.url}${opts.webhookQuery ?? ''}`;
  const telling = tellingDeps({ webhookUrl, incidentIssue: false, repository: 'acme/shop', githubApiUrl: 'http://127.0.0.1:9' }, log);
  let clock = Date.parse('2026-03-14T09:26:53Z');
  const timer = handTimer();
  /** While `phase` runs, six minutes pass and the heartbeat's timer fires (as it would after its interval). */
  const deps = (slowPhase: PhaseName, extra: Partial<RollbackDeps> = {}): RollbackDeps => ({
    ...telling,
    now: () => clock,
    heartbeat: { intervalMs: 1000, timer },
    progress: {
      started: (phase) => {
        if (phase !== slowPhase) return;
        clock += SIX_MINUTES;
        timer.fire();
      },
      finished: () => undefined,
    },
    ...extra,
  });
  const texts = () => receiver.delivered.map((m) => (m as { text: string }).text);
  const advance = (ms: number) => (clock += ms);
  return { request, receiver, log, timer, deps, texts, advance, run: (d: RollbackDeps) => runRollback(request, d, log) };
}

describe('chat updates while a rollback runs', () => {
  it('a phase that runs longer than the interval gets an update naming it, against its budget, with what is done, next and the ETA', async () => {
    const w = await world();
    const record = await w.run(w.deps('app'));
    expect(record.status).toBe('rolled-back');
    const texts = w.texts();
    const updates = texts.filter((t) => t.includes('Under way:'));
    expect(updates).toHaveLength(1);
    const update = updates[0]!;
    // The clock started at 09:26:53 and moved six minutes while app ran.
    expect(update.split('\n')[0]).toBe('⏱️ UPDATE 09:32 UTC: app (web) under way');
    expect(update).toContain('Status: In Progress');
    expect(update).toContain('Under way: app (web): 6 min 0 s of 3 min 0 s budget (over budget by 3 min 0 s)');
    expect(update).toContain('Done: plan ok, notify-start ok');
    expect(update).toContain('Next: environment');
    // 09:32:53 + app's budget spent + environment 1 min + verify 2 min (no database in the plan).
    expect(update).toContain('ETA: 09:35:53 UTC (from the budgets left)');
    // In the runbook's order: after "in progress", before the closing message.
    expect(texts[0]).toContain('ROLLBACK IN PROGRESS');
    expect(texts.indexOf(update)).toBeLessThan(texts.length - 1);
    expect(w.timer.pending()).toBe(0);
  });

  it('the start message promises updates every 5 minutes, which the heartbeat now keeps', async () => {
    const w = await world();
    await w.run(w.deps('app'));
    expect(w.texts()[0]).toContain('Updates will be posted here as each phase finishes, and at least every 5 minutes.');
  });

  it('no updates, and no timer, without a webhook', async () => {
    const w = await world({ webhook: false });
    const record = await w.run(w.deps('app'));
    expect(record.timeline.find((e) => e.phase === 'notify-start')!.status).toBe('skipped');
    expect(w.timer.armed).toBe(0);
    expect(w.receiver.requests).toEqual([]);
  });

  it('the timer is cleared when the rollback fails, and when it throws', async () => {
    const failed = await world({ command: 'exit 3' });
    // The update is due while app runs; app then fails.
    const record = await failed.run(failed.deps('app'));
    expect(record).toMatchObject({ status: 'failed', failedPhase: 'app' });
    expect(failed.timer.armed).toBeGreaterThan(0);
    expect(failed.timer.pending()).toBe(0);

    const thrown = await world();
    const deps = thrown.deps('verify');
    // Nothing the rollback calls should throw; if something does, the heartbeat still stops.
    deps.progress = {
      started: () => undefined,
      finished: (entry) => {
        if (entry.phase === 'app') throw new Error('terminal gone');
      },
    };
    await expect(thrown.run(deps)).rejects.toThrow('terminal gone');
    expect(thrown.timer.armed).toBeGreaterThan(0);
    expect(thrown.timer.pending()).toBe(0);
  });

  it('a failed update is one warning and the updates go on', async () => {
    const w = await world();
    const deps = w.deps('app');
    const slow: PhaseName[] = ['app', 'verify'];
    deps.progress = {
      started: (phase) => {
        if (!slow.includes(phase)) return;
        // Not retried (a 400), so no retry of the update races the phase messages.
        if (phase === 'app') w.receiver.failNext(1, 400);
        w.advance(SIX_MINUTES);
        w.timer.fire();
      },
      finished: () => undefined,
    };
    await w.run(deps);
    const warnings = w.log.lines.filter((l) => l.startsWith('warning:'));
    // The update during app was the next post and was refused; the one during verify was delivered.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/was not delivered: HTTP 400/);
    expect(w.receiver.requests.filter((r) => r.raw.includes('Under way: app'))).toHaveLength(1);
    expect(w.texts().filter((t) => t.includes('Under way: app'))).toHaveLength(0);
    expect(w.texts().filter((t) => t.includes('Under way: verify'))).toHaveLength(1);
  });

  it('the update carries no secret: the webhook token in its query is redacted, outside text escaped', async () => {
    const token = 'xoxq-Query0Token1In2The3Webhook4Url56789';
    const w = await world({ webhookQuery: `?token=${token}`, component: `<!channel>-${token}` });
    await w.run(w.deps('app'));
    const raw = w.receiver.requests.map((r) => r.raw);
    const update = raw.find((r) => r.includes('Under way'));
    expect(update).toBeDefined();
    const { text, blocks } = JSON.parse(update!) as { text: string; blocks: unknown[] };
    expect(text).toContain('Under way: app (&lt;!channel&gt;-***)');
    // The header is plain_text, where Slack parses no <…>: only `text` and the mrkdwn blocks must escape it.
    expect(`${text}${JSON.stringify(blocks.slice(1))}`).not.toContain('<!channel>');
    for (const body of raw) expect(body).not.toContain(token);
    for (const l of w.log.lines) expect(l).not.toContain(token);
  });
});

// Stopped (Ctrl-C, a cancelled job) while an update is on its way to a webhook that never answers
// it: the closing message used to wait for that update's whole 5 s, a pause and a retry (11 s, past
// the stop's 5 s grace). Now the update is cut STOPPED_UNDER_WAY_MS after the stop and not retried,
// and the closing message gets its one short attempt; when that fails too, the run says so plainly.
describe('chat updates when the run is stopped', () => {
  async function stoppedWhileUpdating(hangs: number) {
    const w = await world();
    const stop = new AbortController();
    w.request.signal = stop.signal;
    const deps = w.deps('app');
    const { started, finished } = deps.progress!;
    deps.progress = {
      started: (phase, component) => {
        // The update due while app runs is the post that hangs; the stop comes as it reaches the webhook.
        if (phase === 'app') w.receiver.hangNext(hangs, () => stop.abort(new Error('stopped by SIGINT')));
        started(phase, component);
      },
      finished,
    };
    const record = await w.run(deps);
    const updates = w.receiver.requests.filter((r) => r.raw.includes('Under way: app'));
    return { w, record, updates };
  }

  it('an update under way is cut, not retried, and the closing message still goes out', async () => {
    const { w, record, updates } = await stoppedWhileUpdating(1);
    expect(updates).toHaveLength(1);
    expect(w.texts().filter((t) => t.includes('Under way'))).toEqual([]);
    // The closing message is the last post, delivered.
    expect(w.receiver.requests.at(-1)!.raw).not.toContain('Under way');
    expect(w.texts()).toHaveLength(2);
    expect(record.timeline.find((e) => e.phase === 'notify-end')).toMatchObject({ status: 'ok' });
    expect(w.log.lines.filter((l) => l.startsWith('warning:')).join('\n')).toMatch(/was not delivered: no answer within 1\.0 s of the stop \(SIGINT\)/);
    expect(w.timer.pending()).toBe(0);
  });

  it('the closing message not sent either: the notify-end row and the last next step say so plainly', async () => {
    const { w, record, updates } = await stoppedWhileUpdating(99);
    expect(updates).toHaveLength(1);
    // The start message, the cut update, one attempt at the closing message.
    expect(w.receiver.requests).toHaveLength(3);
    const end = record.timeline.find((e) => e.phase === 'notify-end')!;
    expect(end.status).toBe('warning');
    expect(end.detail).toBe(
      'The closing chat message was not sent: the run was stopped (SIGINT) and the webhook did not take the message within the short time a stopped run gives it (the warning in the log says why). Tell the team how the rollback ended another way.',
    );
    expect(record.nextSteps.at(-1)).toBe(end.detail);
    expect(w.log.lines.filter((l) => l.startsWith('warning:')).join('\n')).toMatch(/was not delivered: no answer within 1\.5 s/);
  });
});
