/** Every command, in the order `rollback-kit --help` lists them. */
import type { CommandSpec } from '../command.js';
import { down, restore, snapshot } from './database.js';
import { drill } from './drill.js';
import { plan } from './plan.js';
import { promote } from './promote.js';
import { rollback } from './rollback.js';
import { sandbox } from './sandbox.js';
import { smoke } from './smoke.js';

export const COMMANDS: CommandSpec[] = [plan, rollback, snapshot, restore, promote, down, smoke, drill, sandbox];
