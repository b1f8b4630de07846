/**
 * Whether a rollback was started by a deployment signal rather than by a person: the events
 * auto-rollback.yml listens to (and the ones a deploy pipeline of one's own might). A reusable
 * workflow sees its caller's event, so rollback.yml called from auto-rollback.yml counts too.
 * "Run workflow" (workflow_dispatch) and the command line are a person's decision.
 */
const DEPLOYMENT_EVENTS = new Set(['deployment_status', 'deployment', 'repository_dispatch', 'workflow_run', 'status', 'check_run', 'check_suite']);

export function startedByDeploymentEvent(eventName: string | undefined): boolean {
  return DEPLOYMENT_EVENTS.has(eventName ?? '');
}
