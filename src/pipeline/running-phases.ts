/**
 * The phases of a rollback started and not ended yet, one entry per phase and component, in the
 * order they started: what the chat heartbeat and the stopped run's last words both follow.
 */
import type { PhaseName } from './record.js';

export type RunningPhase<Extra extends object = object> = { phase: PhaseName; component?: string } & Extra;

const key = (phase: PhaseName, component?: string) => `${phase}\u0000${component ?? ''}`;

export class RunningPhases<Extra extends object = object> {
  private readonly byKey = new Map<string, RunningPhase<Extra>>();

  started(phase: PhaseName, component: string | undefined, extra: Extra): void {
    this.byKey.set(key(phase, component), { ...extra, phase, component });
  }

  finished(phase: PhaseName, component?: string): void {
    this.byKey.delete(key(phase, component));
  }

  has(phase: PhaseName, component?: string): boolean {
    return this.byKey.has(key(phase, component));
  }

  /** In the order they started. */
  list(): RunningPhase<Extra>[] {
    return [...this.byKey.values()];
  }
}
