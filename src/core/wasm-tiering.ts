/**
 * Node's fetch parses HTTP with llhttp, compiled to WebAssembly. V8 runs it first as baseline
 * (Liftoff) code and, once its functions are hot, compiles them again with TurboFan on background
 * threads, and Node does not exit before those jobs end. Our processes send a few to a few thousand
 * requests and exit: the second compilation costs them more than it saves (about 0.2–0.4 s of
 * wall time per smoke-test run on the 2-core bench machine, see BENCHMARKS.md), while the baseline
 * code parses a response head in microseconds. Only WebAssembly is affected; JavaScript is still
 * optimised as usual, and nothing else in these bundles is WebAssembly.
 */
import { setFlagsFromString } from 'node:v8';

/** Call before the first fetch: the flag is read when llhttp is compiled (at the first request). */
export function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString('--liftoff-only');
}
