/**
 * How a whole rollback tells people, for the root action and `rollback-kit rollback` alike: chat
 * messages through the webhook, the incident issue on GitHub. Neither may stop the rollback.
 */
import { errorLine } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { RollbackDeps } from '../pipeline/rollback.js';
import { recordIncident } from './incident.js';
import { chatMessage, chatSender, STOPPED_SEND } from './notify.js';

export interface TellingOptions {
  webhookUrl?: string;
  githubToken?: string;
  /** The incident-issue input: undefined means "when there is a token". */
  incidentIssue?: boolean;
  repository: string;
  githubApiUrl: string;
}

export function tellingDeps(opts: TellingOptions, log: Log): Pick<RollbackDeps, 'notify' | 'report'> {
  const { webhookUrl, githubToken, repository } = opts;
  const wanted = opts.incidentIssue ?? Boolean(githubToken);
  // Before the rollback prints anything: a provider's error could quote the webhook's token.
  const send = webhookUrl ? chatSender(webhookUrl, log) : undefined;
  if (wanted && !githubToken) log.warning('incident-issue is true but no github-token (or GITHUB_TOKEN) was given: no incident issue will be written.');
  return {
    notify: send
      ? async (event, record, how) => {
          try {
            // A message sent before the stop is cut short by it (notify.ts STOPPED_UNDER_WAY_MS); one sent after it gets STOPPED_SEND.
            return await send(chatMessage(event, record, log), how?.stopped ? STOPPED_SEND : { stop: how?.signal });
          } catch (err) {
            log.warning(`The chat message could not be built or sent (${errorLine(err)}); the rollback goes on.`);
            return false;
          }
        }
      : undefined,
    report:
      wanted && githubToken && repository
        ? async (record, how) => {
            // A stopped run's issue is cut short (incident.ts STOPPED_ISSUE_MS): what it left unrecorded goes in the report row.
            let missed: string | undefined;
            const recorded = await recordIncident({ apiUrl: opts.githubApiUrl, repository, token: githubToken }, record, log, {}, { signal: how?.signal, missed: (what) => (missed = what) });
            return recorded ? recorded.url : missed ? { missed } : undefined;
          }
        : undefined,
  };
}
