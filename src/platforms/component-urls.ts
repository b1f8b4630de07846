/**
 * A component's fields that may hold a URL, and with it a secret (a user name and password, a token
 * in the query): target and from may be deployment URLs, the API bases may carry a proxy's
 * credentials. The one list every place registers before anything can print them: the rollback
 * plan (registerPlanSecrets), promote-previous's inputs (readPromoteRequest) and its request
 * (promotePrevious). A URL field added to a component goes here, and so to all three;
 * test/secrets/component-urls.test.ts fails for a field of the component types that is neither
 * here nor named as never holding a URL.
 */

/** Each field by its input and plan-file key (promote-previous's input names). */
export const COMPONENT_URL_INPUTS = {
  target: 'target',
  from: 'from',
  apiUrl: 'api-url',
  machinesApiUrl: 'machines-api-url',
  registryUrl: 'registry-url',
} as const;

export type ComponentUrlField = keyof typeof COMPONENT_URL_INPUTS;

/**
 * What a component holds of them, a plan's or a request's: each provider takes its own. `github` is
 * where Vercel's target last-verified reads its commit statuses (GITHUB_API_URL, no input).
 */
export type ComponentUrlFields = Partial<Record<ComponentUrlField, string>> & { github?: { apiUrl?: string } };

/** The URLs a component holds, to register as secrets before anything is printed. */
export function componentUrls(component: ComponentUrlFields): string[] {
  const fields = Object.keys(COMPONENT_URL_INPUTS) as ComponentUrlField[];
  return [...fields.map((f) => component[f]), component.github?.apiUrl].filter((url): url is string => !!url);
}
