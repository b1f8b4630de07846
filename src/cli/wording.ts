/**
 * The library's messages are written for a workflow: they name the action's inputs ("Input
 * vercel-token", "Set format: directory", "pass its path in pg-dump-path", "jobs: 4 needs …",
 * "vercel-token: ${{ secrets.VERCEL_TOKEN }}"), other actions ("the snapshot-db action", "this
 * action (method: promote, …)") and the workflow around them ("$RUNNER_TEMP", "re-run the step",
 * "the workspace", "actions/checkout with fetch-depth: 0", "pass secrets.GITHUB_TOKEN", "grant the
 * job permissions: …", "the job summary", "the runner"). A person at a terminal gives flags
 * and environment variables, in a folder of their own. The command line rewrites that wording
 * wherever it prints library text (error lines, phase rows, next steps, each string of the JSON
 * document), so the same message tells each reader what to type.
 *
 * One table of forms, built from the flags of the command that prints: only a name that is one of
 * its flags is rewritten ("input file" in pg_restore's message stays as it is). Names of one word
 * (format, target, steps) are everyday words too, so they are rewritten only in the forms that make
 * them a setting ("Set format: directory", "in target (v12)", "one of steps"); hyphenated names
 * (pg-dump-path) wherever they stand alone. Never touched: a plan file's problems ("line 4,
 * verify.timeout-seconds: …"), dotted keys, quoted names ("field \"timeout-seconds\""), paths, URLs
 * and flags already written as flags. An on-unless-turned-off input is the --no- flag a person
 * types: "pre-restore-snapshot is false" is "--no-pre-restore-snapshot is given".
 */
import { tmpdir } from 'node:os';
import { TOKEN_ENV } from '../core/secret-input.js';
import { GIT_REVERT_NEEDS } from '../pipeline/git-revert-access.js';
import { SECRETS_GO } from '../pipeline/plan-file.js';
import { FLAGS, flagOf } from './flags.js';

export type Wording = (text: string) => string;

/** Each action and the command that does the same from a terminal. */
const COMMAND_OF_ACTION: Record<string, string> = {
  'snapshot-db': 'snapshot',
  'restore-db': 'restore',
  'run-down-migrations': 'down',
  'smoke-test': 'smoke',
  'promote-previous': 'promote',
};

/**
 * A plan file's problem ("line 7, database.steps: …", "line 2, (YAML): …"), up to the next one ("; line
 * 9, …") or the end of its sentence: its names are the file's keys, not flags, after a ';' of its own
 * too ("is empty; give its fields (method, migrations-dir, …)", "known fields: budget-minutes, …"). A check spec's problem ("line 1, check \"a\", field \"url\":
 * … the base-url input …") quotes its fields and is worded as any message.
 */
const PLAN_FILE_PROBLEM = /(\bline \d+, (?:[a-z][\w-]*(?:\.[\w-]+)*|\([^)]*\)): (?:[^;.]|\.(?=\S)|;(?! line \d+, ))*)/;

/** Not inside a longer name, a dotted key, a path, a URL, a quoted name or an already written flag. */
const BEFORE = String.raw`(?<![-.\w/"'\`$@={<])`;
const AFTER = String.raw`(?![-\w/"'\`=]|\.\w)`;
/** A value after "name: ": a quoted string, a <placeholder>, or one word (a sentence's full stop left out). */
const VALUE = String.raw`(?!(?:in|to|at|of|on|the|a|an)\b)("[^"]*"|<[^>]*>|[^\s,;)]*[^\s,;).:])`;
/** Where a message starts: the text's start, a sentence's, or after a bullet or a table's column gap. */
const START = String.raw`(?<=^|[.!?] |[•✗✓–○›] |  )`;
const LIST_JOIN = '(?:, | and | or | / )';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An alternation of names, longest first; one that matches nothing when there are none. */
const either = (names: string[]) => (names.length ? [...names].sort((a, b) => b.length - a.length).map(escape).join('|') : '(?!)');
/** "Set" keeps its capital: "Give", "give". */
const like = (word: string, as: string) => (/^[A-Z]/.test(word) ? as[0]!.toUpperCase() + as.slice(1) : as);

type Rule = [RegExp, (match: string, ...groups: string[]) => string];

/**
 * The wording for a command whose flags are `names` (input names, as COMMAND_FLAGS lists them).
 * `fromVariable`: the secrets given by their environment variable rather than their flag (DATABASE_URL
 * for database-url): where a message points at the value ("Check the host in database-url"), it
 * names the variable the person set, not a flag they never gave.
 */
export function wordingFor(names: readonly string[], tempDir: string = tmpdir(), fromVariable: readonly string[] = []): Wording {
  const known = names.filter((n) => n in FLAGS);
  const valued = known.filter((n) => (FLAGS[n]!.kind ?? 'value') === 'value');
  const toggles = known.filter((n) => !valued.includes(n));
  const single = valued.filter((n) => !n.includes('-'));
  const hyphenated = valued.filter((n) => n.includes('-'));
  const secrets = known.filter((n) => n in TOKEN_ENV);
  const ALL = either(known);
  const VALUED = either(valued);
  const ONE = either(single);
  const HYPHENATED = either(hyphenated);
  const TOGGLE = either(toggles);
  const re = (source: string) => new RegExp(source, 'g');
  const nameIn = re(`${BEFORE}(${ALL})${AFTER}`);
  /** Every name in a list ("project, environment and service") as its flag. */
  const flags = (list: string) => list.replace(nameIn, (name) => flagOf(name));
  const LIST = `(?:${ALL})(?:${LIST_JOIN}(?:${ALL}))*`;

  /** A switch or an on-unless-turned-off input set to true or false: its flag, and whether giving it says so. */
  const toggle = (name: string, value: string) =>
    FLAGS[name]!.kind === 'on' ? { flag: `--no-${name}`, given: value === 'false' } : { flag: `--${name}`, given: value === 'true' };

  /** Where a message says "give the GitHub token", the way to give it here. */
  const orGithubFlag = known.includes('github-token') ? ` (or give ${flagOf('github-token')})` : '';

  const VARIABLE = either(fromVariable.filter((n) => secrets.includes(n)));
  const variableOf = (name: string) => TOKEN_ENV[name as keyof typeof TOKEN_ENV];

  const rules: Rule[] = [
    // A secret's value, where it came from: "in database-url", "Check database-url", "database-url
    // has none", "the github-token (401)". How to give one ("Pass database-url", "no database-url
    // was given", "the database-url input") still names the flag, with its variable where it says so.
    [re(`\\b(in|to|of|as|that|Check|check) (${VARIABLE})${AFTER}`), (_, word, name) => `${word} ${variableOf(name!)}`],
    [re(`\\bthe (${VARIABLE})${AFTER}(?! (?:secret|inputs?)\\b)`), (_, name) => `the ${variableOf(name!)}`],
    [re(`${BEFORE}(${VARIABLE})(?= (?:has none|requires it|is wrong)\\b)`), (_, name) => variableOf(name!)],
    // Whole workflow sentences, before any of their words is taken for a flag.
    [new RegExp(escape(GIT_REVERT_NEEDS), 'g'), () => GIT_REVERT_NEEDS_HERE],
    // The restore after a failed database phase (src/pipeline/rollback.ts), given for both: here its other form is the same command again.
    [/("rollback-kit restore --snapshot-path ([^"]+)") \(or restore-db with snapshot-path: ([^)]+)\)/g, (whole, command, path, again) => (path === again ? command! : whole)],
    // A secret found in the plan: word by word it read "the root action's --from secrets (vercel-token, …, --database-url, …)".
    [new RegExp(escape(SECRETS_GO), 'g'), () => `export them (${Object.values(TOKEN_ENV).join(', ')}) or give them as flags (rollback-kit --help lists both)`],
    // "this action (method: promote, target: <deployment id>)": the promote-previous action's inputs.
    [/\bthis action \(((?:[a-z-]+: [^,)]+)(?:, [a-z-]+: [^,)]+)*)\)/g, (_, pairs) => `\`rollback-kit promote ${pairs!.split(', ').map((p) => `--${p.replace(': ', ' ')}`).join(' ')}\``],
    // A message that gives both forms ("pass from (--from on the command line)"): here only the flag.
    [re(`${BEFORE}(${ALL}) \\(--([a-z0-9-]+) on the command line\\)`), (whole, name, flag) => (flag === name ? flagOf(name!) : whole)],
    // A setting to pass, said without its value ("pass from with the release", "only from names one").
    [re(`\\b(Pass|pass|only) (${ONE})(?= with\\b| to\\b| names\\b)`), (_, word, name) => `${word} --${name}`],
    // A run of another scope is the rollback command with that scope: `rollback-kit rollback db`
    // (its argument); "in a split rollback, the database job" is a workflow's shape, not a terminal's.
    [/\b([Rr])e-run with scope (app|db|full|verify)(?![\w-]| or\b| and\b|,)/g, (_, r, scope) => `${r}un \`rollback-kit rollback ${scope}\``],
    [/\bstart a new run with scope (app|db|full|verify)(?![\w-]| or\b| and\b|,)/g, (_, scope) => `run \`rollback-kit rollback ${scope}\``],
    // Not a choice of scopes ("with scope app or full"): that is the --scope flag's to say.
    [/\bwith scope (app|db|full|verify)(?![\w-]| or\b| and\b|,)(?: \(in a split rollback, the database job\))?/g, (_, scope) => `with \`rollback-kit rollback ${scope}\``],
    // Every required input: the flag, and for a secret its variable too.
    [
      re(`\\bInput required and not supplied: (${ALL})\\.`),
      (_, name) => `${flagOf(name!)} is required${name! in TOKEN_ENV ? `: give it or set ${TOKEN_ENV[name as keyof typeof TOKEN_ENV]}` : ''}.`,
    ],
    // Secrets: "from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}", "the vercel-token secret".
    [re(` from a secret: (${ALL}): \\$\\{\\{ secrets\\.(\\w+) \\}\\}`), (_, name, variable) => `: export ${variable} or give ${flagOf(name!)}`],
    [re(`${BEFORE}(${ALL}): \\$\\{\\{ secrets\\.(\\w+) \\}\\}`), (_, name, variable) => `${flagOf(name!)} (or export ${variable})`],
    [re(`${BEFORE}(${ALL}) from a secret\\b`), (_, name) => flagOf(name!)],
    [re(`\\bthe (${either(secrets)}) secret\\b`), (_, name) => `${TOKEN_ENV[name as keyof typeof TOKEN_ENV]} (or ${flagOf(name!)})`],
    // "Input steps", "Inputs steps and to-version", "(input config)", "the base-url input", "the target and site inputs".
    [re(`\\b[Ii]nputs? (${LIST})${AFTER}`), (_, list) => flags(list!)],
    [re(`\\b(?:the )?(${LIST}) inputs?\\b`), (_, list) => flags(list!)],
    // "`to-version: 002`" in a message's quoted example.
    [re(`\`(${VALUED}): ([^\`\\s]+)\``), (_, name, value) => `\`--${name} ${value}\``],
    // Switches and on-unless-turned-off inputs: "Set pre-restore-snapshot: true", "with dry-run false", "require-snapshot is false".
    [
      re(`\\b(Set|set|Use|use|Pass|pass|Give|give) (${TOGGLE}): (true|false)\\b`),
      (_, verb, name, value) => {
        const { flag, given } = toggle(name!, value!);
        return given ? `${like(verb!, 'give')} ${flag}` : `${like(verb!, 'leave')} out ${flag}`;
      },
    ],
    [re(`\\bwith (${TOGGLE}):? (true|false)\\b`), (_, name, value) => ((t) => `${t.given ? 'with' : 'without'} ${t.flag}`)(toggle(name!, value!))],
    [re(`\\bwithout (${TOGGLE})${AFTER}`), (_, name) => (FLAGS[name!]!.kind === 'on' ? `with --no-${name}` : `without --${name}`)],
    [re(`${BEFORE}(${TOGGLE}) is (true|false)\\b`), (_, name, value) => ((t) => `${t.flag} is ${t.given ? '' : 'not '}given`)(toggle(name!, value!))],
    [re(`${BEFORE}(${TOGGLE}):? (true|false)\\b`), (_, name, value) => ((t) => `${t.given ? '' : 'no '}${t.flag}`)(toggle(name!, value!))],
    // "Set format: directory", "needs format: directory"; at a message's start "jobs: 4 …", "schemas: \"x\" …"; any hyphenated name.
    [re(`\\b(Set|set|Use|use|Pass|pass|Give|give|needs|with|and) (${VALUED}): ${VALUE}`), (_, verb, name, value) => `${verb} --${name} ${value}`],
    [re(`${START}(${VALUED}): ${VALUE}`), (_, name, value) => `--${name} ${value}`],
    [re(`${START}(${ONE}) is\\b`), (_, name) => `--${name} is`],
    [re(`${BEFORE}(${HYPHENATED}): ${VALUE}`), (_, name, value) => `--${name} ${value}`],
    // One-word names where they are a setting.
    [re(`\\b(Set|set) (${ONE})(?= to\\b| if\\b|[,.;]|$)`), (_, verb, name) => `${verb} --${name}`],
    [re(`\\b(Point|point) (${ONE}) at\\b`), (_, verb, name) => `${verb} --${name} at`],
    [re(`\\b(Raise|raise|Lower|lower|Remove|remove) (${ONE})${AFTER}`), (_, verb, name) => `${verb} --${name}`],
    [re(`\\b(Leave|leave) (${VALUED}) empty\\b`), (_, verb, name) => `${verb} out --${name}`],
    [re(`\\b(Leave|leave) (${ONE}) as\\b`), (_, verb, name) => `${verb} --${name} as`],
    [re(`\\bone of (${ONE})${AFTER}`), (_, name) => `one of --${name}`],
    [re(`\\bwhen (${ONE}) is\\b`), (_, name) => `when --${name} is`],
    [re(`\\((${ONE})((?:${LIST_JOIN}(?:${ONE}))+)\\)`), (_, first, rest) => `(${flags(first! + rest!)})`],
    [re(`\\b(in|as) (${ONE})(?=[.,;:)]| \\(|$)`), (_, word, name) => `${word} --${name}`],
    [re(`(?<!\\b(?:the|a|an|its) )${BEFORE}(${ONE}) must\\b`), (_, name) => `--${name} must`],
    // Hyphenated names standing alone: "pass its path in pg-dump-path", "raise lock-timeout-seconds".
    [re(`${BEFORE}(${HYPHENATED})${AFTER}`), (_, name) => `--${name}`],
    // A one-word name listed with flags: "--migrations-dir and format", "steps, --to-version".
    [re(`(--[a-z0-9-]+${LIST_JOIN})(${ONE})${AFTER}`), (_, before, name) => `${before}--${name}`],
    [re(`${BEFORE}(${ONE})(${LIST_JOIN}--[a-z])`), (_, name, after) => `--${name}${after}`],
    // What is left of "inputs" means the flags.
    [/\bthe root action(?:'s)? inputs\b/g, () => 'the flags'],
    [/\bset the single-component inputs\b/g, () => 'give the single-component flags'],
    [/\binputs\b/g, () => 'flags'],
    // The runner: the rollback's own snapshots go into ./rollback-kit-snapshots; a writable folder is under the temp folder.
    [
      /\b(Point|point) RUNNER_TEMP at a writable folder( with free space)?, such as one under \$RUNNER_TEMP\b/g,
      (_, verb, space) => `${like(verb!, 'run')} it from a folder you can write to${space ?? ''}: its snapshots go into rollback-kit-snapshots there`,
    ],
    [/\bpoint RUNNER_TEMP elsewhere\b/g, () => 'run it from another folder'],
    [/\bRUNNER_TEMP (?=\S)/g, () => 'the snapshot folder '],
    [/\$RUNNER_TEMP\b/g, () => tempDir],
    [/\b([Rr])e-run(ning)? the step\b/g, (_, r, ing) => `${r === 'R' ? 'R' : 'r'}un${ing ?? ''} the command again`],
    // A failed down migration (src/migrations/run-failure.ts): a job's re-run checks out the commit it
    // started from, so a fixed file needs a push and a new run; a command reads the file as it is now.
    // With the flag that finishes a `steps` plan when nothing recorded it (src/migrations/rerun.ts
    // finishWith): on a terminal there is no run to record it, so the same command would count again.
    // The `down` command puts the whole command in the first of them (src/cli/commands/database.ts):
    // it is what to run, named once; the others are "the command again with" the flag.
    [/, push the fix and start a new run(?: with (`[^`]+`))?: Re-run jobs checks out the same commit and would run the same SQL again\b/g, (_, what) => ` and ${runAgain('r', what)}`],
    // A re-run goes on by itself where a run recorded the plan; else the library says "start a new run with" the selector that finishes it (src/migrations/run-failure.ts).
    [/\b(?:re-run|start a new run with (`[^`]+`)): the run continues from this migration\b/g, (_, what) => `${runAgain('r', what)}: it continues from this migration`],
    [/\b([Ss])tart a new run with (`(?:--|rollback-kit )[^`]+`)/g, (_, s, what) => runAgain(s === 'S' ? 'R' : 'r', what)],
    [/ and that actions\/checkout ran before this step\b/g, () => ''],
    [/\bthe workspace\b/g, () => 'the current folder'],
    // Other actions are other commands.
    [re(`\\bthe (${either(Object.keys(COMMAND_OF_ACTION))}) action\\b`), (_, action) => `rollback-kit ${COMMAND_OF_ACTION[action!]}`],
    [re(`${BEFORE}(${either(Object.keys(COMMAND_OF_ACTION))})(?= refuses\\b| took\\b| with\\b| writes\\b)|(?<=\\bby )(${either(Object.keys(COMMAND_OF_ACTION))})\\b`), (_, a, b) => `rollback-kit ${COMMAND_OF_ACTION[(a ?? b)!]}`],
    [/\bthe path output of snapshot-db\b/g, () => 'the path rollback-kit snapshot printed'],
    [/\bits path output\b/g, () => 'the path it prints'],
    // The checkout a workflow makes with actions/checkout is the clone the command runs in.
    [/\bactions\/checkout with ref: (<[^>]+>) and fetch-depth: 0\b/g, (_, ref) => `git checkout ${ref}, with the whole history`],
    [/\b([Rr])un actions\/checkout with fetch-depth: 0 before this step\b/g, (_, r) => `${r}un it in a clone of the repository with its whole history (git fetch --unshallow)`],
    [/\b([Rr])un actions\/checkout before this step\b/g, (_, r) => `${r}un it in a clone of the repository`],
    [/\b([Rr]un|[Uu]se) actions\/checkout with fetch-depth: 0 so the whole history is there\b/g, (_, verb) => `${like(verb!, 'fetch')} the whole history (git fetch --unshallow) so it is there`],
    [/\b([Rr]un|[Uu]se|check out) (?:actions\/checkout )?with fetch-depth: 0\b/g, (_, verb) => `${like(verb!, 'fetch')} the whole history (git fetch --unshallow)`],
    [/\(fetch-depth: 0\)/g, () => '(git fetch --unshallow)'],
    [/ \(relative to the repository root; in a workflow, that actions\/checkout ran first\)/g, () => ' (relative to the current folder)'],
    [/ \(on the command line, the current directory\); in a workflow, check out the repository first \(actions\/checkout\)/g, () => ''],
    // The workflow's GITHUB_TOKEN, its job's permissions and its repository are the person's token and variables.
    [/\b([Pp])ass secrets\.GITHUB_TOKEN or a token that is still valid\b/g, (_, p) => `${like(p!, 'export')} a GITHUB_TOKEN that is still valid${orGithubFlag}`],
    [/\b([Pp])ass secrets\.GITHUB_TOKEN\b/g, (_, p) => `${like(p!, 'export')} GITHUB_TOKEN${orGithubFlag}`],
    [/ \(secrets\.GITHUB_TOKEN of this repository\)/g, () => ''],
    [/\b([Gg])rant the job `?permissions:? ([^`.(]+?)`?(?=[.,]| \(|$)/g, (_, g, what) => `${like(g!, 'use')} a token with ${what}`],
    [/\(permissions: ([^)]+)\)/g, (_, what) => `(a token with ${what})`],
    [/\bRun the step in GitHub Actions, (?:which sets|or set) GITHUB_REPOSITORY\b/g, () => 'Set GITHUB_REPOSITORY to the repository (owner/name)'],
    [/\band run in GitHub Actions \(GITHUB_REPOSITORY\)/g, () => 'and set GITHUB_REPOSITORY to the repository (owner/name)'],
    // The job, its summary and its steps are this run of the command.
    [/\bis in the job summary\b/g, () => 'is printed above'],
    [/\b([Ii])ts job summary says\b/g, (_, i) => `${i}ts output said`],
    [/\bgive the job\b/g, () => 'give'],
    [/ \(the ([A-Z][A-Z_]+) secret\)/g, (_, variable) => ` (or export ${variable})`],
    // Except a re-run "of this job": said only when the command runs in a workflow's step, where it is one.
    [/(?<!\bre-run of )\bthis job\b/g, () => 'this run'],
    [/\b([Rr])un(ning)? the step again\b/g, (_, r, ing) => `${r}un${ing ?? ''} the command again`],
    [/\b(this|the) step('s)?\b/g, (_, which, s) => `${which} command${s ?? ''}`],
    [/ in an earlier step of the job \(from a secret\)/g, () => ''],
    [/ \(written from a secret in an earlier step\)/g, () => ''],
    // The runner is this machine.
    [/\b([Tt])he runner network\b/g, (_, t) => `${like(t!, 'this')} machine's network`],
    [/\bThe runner needs\b/g, () => 'This machine needs'],
    [/ \(Linux runners have both\)/g, () => ' (Linux has both)'],
    [/\bon (?:the|this) runner\b/g, () => 'on this machine'],
    [/; GitHub-hosted runners reach only IPv4 addresses/g, () => ''],
  ];

  return (text) =>
    text
      .split(PLAN_FILE_PROBLEM)
      .map((part, i) => (i % 2 ? part : rules.reduce((t, [pattern, to]) => t.replace(pattern, to as (m: string, ...g: string[]) => string), part)))
      .join('');
}

/** "run the command again", with the flag that changes (`--steps 2`), or the whole command to run. */
function runAgain(r: string, what: string | undefined): string {
  const run = r === 'R' ? 'Run' : 'run';
  return what?.startsWith('`rollback-kit ') ? `${run} ${what}` : `${run} the command again${what ? ` with ${what}` : ''}`;
}

/** GIT_REVERT_NEEDS (what a workflow job must grant a git-revert component) as a clone needs it. */
const GIT_REVERT_NEEDS_HERE =
  'A git-revert component needs push access to the repository from this clone (your git credentials for origin), its whole history (git fetch --unshallow), and a GITHUB_TOKEN that may open pull requests (contents: write and pull-requests: write).';

/** The wording with every flag of every command (for text no single command owns). */
export const cliWording: Wording = wordingFor(Object.keys(FLAGS));
