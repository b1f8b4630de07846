/**
 * The most characters an input may hold, checked where inputs are read (inputsFrom, and the
 * environment variables secretInput falls back to), before anything uses or prints the value. A
 * value past it is a mistake (a file pasted into a URL input), and one long enough once crashed
 * the redactor: it is refused in one line that names the limit and never quotes the value.
 */
import { RollbackKitError } from './errors.js';

/** A URL or a token: real ones are a few hundred characters; 8 KiB is what HTTP servers take in a request line or header. */
const URL_OR_TOKEN = { max: 8 * 1024, what: 'a URL or a token' };
/** Vercel's project names are at most 100 characters; the other platforms' ids and names are shorter. */
const NAME = { max: 100, what: 'a project, team, app or service name or id' };
/** A Netlify site is named by its id or its domain, and a domain name is at most 253 characters. */
const SITE = { max: 253, what: 'a site id or domain' };

const LIMITS: Record<string, { max: number; what: string }> = {
  'database-url': URL_OR_TOKEN,
  'notify-webhook-url': URL_OR_TOKEN,
  'api-url': URL_OR_TOKEN,
  'machines-api-url': URL_OR_TOKEN,
  'registry-url': URL_OR_TOKEN,
  'base-url': URL_OR_TOKEN,
  'baseline-url': URL_OR_TOKEN,
  'vercel-token': URL_OR_TOKEN,
  'fly-token': URL_OR_TOKEN,
  'railway-token': URL_OR_TOKEN,
  'render-token': URL_OR_TOKEN,
  'netlify-token': URL_OR_TOKEN,
  'github-token': URL_OR_TOKEN,
  'bypass-token': URL_OR_TOKEN,
  project: NAME,
  team: NAME,
  app: NAME,
  service: NAME,
  site: SITE,
};

/**
 * `value` of input `name`, or a refusal when it is longer than that input takes. `shownAs` is how
 * the message names where it came from (an environment variable the input falls back to).
 */
export function withinSize(name: string, value: string, shownAs = `Input ${name}`): string {
  const limit = LIMITS[name];
  if (limit && value.length > limit.max) {
    throw new RollbackKitError(`${shownAs} is ${value.length} characters long; ${limit.what} is at most ${limit.max}.`);
  }
  return value;
}
