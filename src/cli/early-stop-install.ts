// Imported first by the bin, so the handlers exist before the rest of the command line loads.
import { stopBeforeStart } from './early-stop.js';

stopBeforeStart();
