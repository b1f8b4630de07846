#!/usr/bin/env node
// The bin: runs the command line and exits with its code (0 done, 1 failed, 2 bad usage).
// First the stop handler (signals.ts); the rest is loaded after it, as a chunk of its own, so that a
// stop while the command line loads (most of its start) is said, not Node's silent default.
import './stop-first.js';

const { run } = await import('./run.js');
// Node hands a caught signal to its handler only when the event loop next looks for events: one
// turn here, so that a stop that came while the rest loaded is said before the command starts.
await new Promise((resolve) => setImmediate(resolve));
run();
