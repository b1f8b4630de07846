/**
 * The library's messages are written for a workflow: they name the action's inputs ("Input
 * vercel-token", "Set format: directory", "pass its path in pg-dump-path", "jobs: 4 needs …",
 * "vercel-token: ${{ secrets.VERCEL_TOKEN }}"), other actions ("the snapshot-db action") and the
 * runner ("$RUNNER_TEMP", "re-run the step", "the workspace"). A person at a terminal gives flags
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
 * A plan file's problem ("line 7, database.steps: …", "line 2, (YAML): …"), up to the next one: its
 * names are the file's keys, not flags. A check spec's problem ("line 1, check \"a\", field \"url\":
 * … the base-url input …") quotes its fields and is worded as any message.
 */
const PLAN_FILE_PROBLEM = /(\bline \d+, (?:[a-z][\w-]*(?:\.[\w-]+)*|\([^)]*\)): (?:[^;.]|\.(?=\S))*)/;

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

/** The wording for a command whose flags are `names` (input names, as COMMAND_FLAGS lists them). */
export function wordingFor(names: readonly string[], tempDir: string = tmpdir()): Wording {
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

  const rules: Rule[] = [
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
    [/ and that actions\/checkout ran before this step\b/g, () => ''],
    [/\bthe workspace\b/g, () => 'the current folder'],
    // Other actions are other commands.
    [re(`\\bthe (${either(Object.keys(COMMAND_OF_ACTION))}) action\\b`), (_, action) => `rollback-kit ${COMMAND_OF_ACTION[action!]}`],
    [re(`${BEFORE}(${either(Object.keys(COMMAND_OF_ACTION))})(?= refuses\\b| took\\b| with\\b)|(?<=\\bby )(${either(Object.keys(COMMAND_OF_ACTION))})\\b`), (_, a, b) => `rollback-kit ${COMMAND_OF_ACTION[(a ?? b)!]}`],
    [/\bthe path output of snapshot-db\b/g, () => 'the path rollback-kit snapshot printed'],
    [/\bits path output\b/g, () => 'the path it prints'],
  ];

  return (text) =>
    text
      .split(PLAN_FILE_PROBLEM)
      .map((part, i) => (i % 2 ? part : rules.reduce((t, [pattern, to]) => t.replace(pattern, to as (m: string, ...g: string[]) => string), part)))
      .join('');
}

/** The wording with every flag of every command (for text no single command owns). */
export const cliWording: Wording = wordingFor(Object.keys(FLAGS));
