/** `rollback-kit promote`: the previous good deployment back into production, on any provider. */
import { TOKEN_ENV } from '../../core/secret-input.js';
import { checkPromoteRequest, promotePrevious } from '../../platforms/promote.js';
import { readPromoteRequest } from '../../platforms/promote-inputs.js';
import { refuseNotLive } from '../../platforms/not-live.js';
import type { CommandSpec } from '../command.js';
import { UsageError } from '../context.js';
import { stoppable } from './stoppable.js';

const TOKEN_OF: Record<string, keyof typeof TOKEN_ENV> = { vercel: 'vercel-token', fly: 'fly-token', railway: 'railway-token', render: 'render-token', netlify: 'netlify-token' };

export const promote: CommandSpec = {
  name: 'promote',
  summary: 'Put the last good deployment back into production (Vercel, Fly, Railway, Render, Netlify, git revert, or your command)',
  examples: [
    'VERCEL_TOKEN=… rollback-kit promote --project shop --team team_123',
    'rollback-kit promote --provider fly --app shop-api --dry-run',
    // Single quotes: $ROLLBACK_TARGET is promote's to set, not the shell's to expand as the command is typed.
    `rollback-kit promote --provider command --command './deploy.sh "$ROLLBACK_TARGET"' --target v1.4.2`,
  ],
  async run(cli) {
    const request = readPromoteRequest(cli.inputs, { env: cli.env, workspace: cli.cwd, repository: cli.env.GITHUB_REPOSITORY, githubApiUrl: cli.env.GITHUB_API_URL, everyTokenFromEnv: true }, cli.log);
    const tokenName = TOKEN_OF[request.provider];
    if (tokenName && !('token' in request && request.token)) {
      throw new UsageError(`${TOKEN_ENV[tokenName]} is not set and --${tokenName} was not given: provider ${request.provider} needs it.`, `Export ${TOKEN_ENV[tokenName]} and run the command again.`);
    }
    checkPromoteRequest(request, (field) => `--${field}`);
    cli.begin();
    // Its label: "command: finding …", as "vercel: finding …", not the --command flag.
    cli.ownNames([request.provider]);
    cli.term.started(`${request.provider}: finding the last good deployment`);
    // Ctrl-C: no change is sent after it, and the error says whether production was touched.
    const outcome = await stoppable(cli, (signal) => promotePrevious({ ...request, signal }, cli.log));
    cli.term.stopSpinner();
    refuseNotLive(outcome, request);
    const ref = (d: { id?: string; commitSha?: string; url?: string }) => d.id || d.commitSha || d.url || undefined;
    const words = { 'rolled-back': 'Rolled back', promoted: 'Promoted', 'already-current': 'Already current:', 'dry-run': 'Dry run: would put back' }[outcome.status];
    // What served before is not always known (the command provider without --from): then only where it went.
    const from = ref(outcome.from);
    const named = ref(outcome.to);
    const to = named ?? 'the previous deployment';
    // Where it went is not always known either (the command provider with target previous, saying
    // nothing): then no "Rolled back to previous"; the note after it says what is known.
    if (!named && outcome.status === 'rolled-back') cli.term.say(from ? `Rolled back from ${from}; the command did not say to which release` : 'Rolled back; the command did not say to which release');
    else cli.term.say(from ? `${words} ${from} → ${to}` : `${outcome.status === 'rolled-back' ? 'Rolled back to' : words} ${to}`);
    for (const note of outcome.notes) cli.term.say(`• ${note}`);
    for (const s of outcome.skipped) cli.term.say(`  skipped ${s.id}: ${s.reason}`);
    if (outcome.frozen.frozen) cli.term.say(`Frozen: ${outcome.frozen.what}${outcome.frozen.undo ? ` To undo: ${outcome.frozen.undo}` : ''}`);
    return { ok: true, status: outcome.status, from: outcome.from, to: outcome.to, notes: outcome.notes, frozen: outcome.frozen };
  },
};
