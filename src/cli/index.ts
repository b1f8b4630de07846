#!/usr/bin/env node
// The bin: runs the command line and exits with its code (0 done, 1 failed, 2 bad usage).
// First a stop handler with no imports (early-stop.ts), the bundle's small first chunk: a stop while
// the rest loads is said, not Node's silent default. Then the full one (signals.ts, by stop-first.ts)
// and the command line, each loaded after it, as chunks of their own.
import { holdEarlyStops } from './early-stop.js';

const releaseEarly = holdEarlyStops(process.argv.slice(2));
await import('./stop-first.js');
// signals.ts holds the stops now; both held them until here, so none is lost between the two.
releaseEarly();
const { run } = await import('./run.js');
// Node hands a caught signal to its handler only when the event loop next looks for events: one
// turn here, so that a stop that came while the rest loaded is said before the command starts.
await new Promise((resolve) => setImmediate(resolve));
run();
