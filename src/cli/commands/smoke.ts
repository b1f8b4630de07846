/** `rollback-kit smoke`: is production healthy, and should it be rolled back? */
import { loadChecks, runSmokeTest } from '../../smoke/smoke-test.js';
import { recordVerified, verifiedRequest } from '../../smoke/record-verified.js';
import { readSmokeInputs } from '../../smoke/smoke-inputs.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PLAN_FILE } from '../../pipeline/plan-file.js';
import type { CommandSpec } from '../command.js';
import { smokeNext } from './smoke-next.js';

export const smoke: CommandSpec = {
  name: 'smoke',
  summary: 'Run smoke checks (HTTP and read-only SQL) and decide: rollback, fix-forward, none or inconclusive',
  examples: [
    "rollback-kit smoke --base-url https://shop.example.com --checks '- {name: health, url: /api/health, critical: true}'",
    'rollback-kit smoke --checks-file .github/smoke.yml --base-url https://shop.example.com --attempts 1',
  ],
  async run(cli) {
    const { source, baseUrl, options, failStep, confirmAfterSeconds } = readSmokeInputs(cli.inputs, cli.secret('database-url'), cli.cwd, cli.log);
    // --checks-file is read where the person named it (named-files.ts says why the action differs).
    const checks = await loadChecks({ ...source, anywhere: true }, { baseUrl, hasDatabase: Boolean(options.database) });
    const verified = verifiedRequest(cli.inputs.string('verified-sha'), cli.secret('github-token'), cli.env);
    cli.begin();
    if (cli.dryRun) {
      cli.term.say(`Dry run: ${checks.length} check(s) are valid: ${checks.map((c) => c.name).join(', ')}. None was run.`);
      return { ok: true, status: 'dry-run', checks: checks.map((c) => c.name) };
    }
    cli.term.started(`${checks.length} smoke check(s)`);
    const { verdict, results, confirmation } = await runSmokeTest(checks, options, cli.log, { afterSeconds: confirmAfterSeconds });
    cli.term.stopSpinner();
    cli.term.table(
      ['check', 'result', 'critical', 'why'],
      results.map((r) => [r.name, r.passed ? 'passed' : 'FAILED', r.critical ? 'yes' : 'no', cli.log.redact(r.reason ?? '')]),
    );
    cli.term.say(`${results.length - verdict.failed} of ${results.length} checks passed; severity ${verdict.severity}, decision ${verdict.decision}.`);
    if (confirmation) cli.term.say(confirmation.confirmed ? `Confirmed ${confirmation.afterSeconds} s later: both runs decided rollback.` : `Not confirmed ${confirmation.afterSeconds} s later${confirmation.flapped.length ? `; flapped: ${confirmation.flapped.join(', ')}` : ''}.`);
    const recorded = verified ? await recordVerified(verified, verdict, results.length, options.deadlineSeconds, cli.log) : false;
    const measured = (r: (typeof results)[number]) => !r.unreachable && r.samples > 0;
    const failed = results.filter((r) => !r.passed).map((r) => ({ name: cli.log.redact(r.name), kind: r.kind, measured: measured(r) }));
    // Names are unique in a spec (parse-spec.ts): a flapped check's kind is its result's; it was measured, as it passed once.
    const kinds = new Map(results.map((r) => [r.name, r.kind]));
    const flapped = (confirmation?.flapped ?? []).map((n) => ({ name: cli.log.redact(n), kind: kinds.get(n) ?? 'http' }));
    const next = smokeNext(verdict, failed, flapped, existsSync(join(cli.cwd, PLAN_FILE)));
    if (next) cli.term.say(next.text);
    return {
      ok: verdict.passed || !failStep,
      status: verdict.passed ? 'passed' : 'failed',
      decision: verdict.decision,
      flapped: confirmation?.flapped ?? [],
      verified: recorded,
      severity: verdict.severity,
      next: next ? { action: next.action, scope: next.scope, command: next.command } : null,
      checks: results.map((r) => ({ name: r.name, passed: r.passed, critical: r.critical, reason: r.reason ? cli.log.redact(r.reason) : undefined })),
    };
  },
};
