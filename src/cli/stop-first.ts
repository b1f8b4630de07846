// The bin's first import: the stop handler is held before the rest of the command line loads (signals.ts).
import { holdStopsFromTheStart } from './signals.js';

holdStopsFromTheStart(process.argv.slice(2));
