import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LOG_WRITERS = [
  { selector: "MemberExpression[object.name='core'][property.name=/^(info|warning|error|notice|debug|setFailed|setSecret|startGroup|endGroup|group)$/]", message: 'Write to the log through src/core/output.ts (or the Log).' },
  { selector: "MemberExpression[object.name='console']", message: 'Write to the log through src/core/output.ts (or the Log).' },
  { selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]", message: 'Write to the log through src/core/output.ts (or the Log).' },
];
const SUMMARY_WRITER = { selector: "MemberExpression[object.name='core'][property.name='summary']", message: 'Write job summaries through writeSummary (src/report/write-summary.ts), which redacts them.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', AbortController: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Inputs come from the environment only in entry points (src/actions, src/cli).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read inputs in an entry point (src/actions, src/cli) and pass them in.' }],
    },
  },
  {
    // Every line for the runner's log goes through src/core/output.ts, which keeps outside text
    // from being read as a workflow command; every job summary through src/report/write-summary.ts,
    // which redacts it.
    files: ['src/**'],
    ignores: ['src/core/output.ts', 'src/report/write-summary.ts', 'src/core/actions-core.ts'],
    rules: { 'no-restricted-syntax': ['error', ...LOG_WRITERS, SUMMARY_WRITER] },
  },
  {
    files: ['src/report/write-summary.ts'],
    rules: { 'no-restricted-syntax': ['error', ...LOG_WRITERS] },
  },
  {
    files: ['src/actions/**', 'src/cli/**', 'test/**', 'bench/**', 'scripts/**', 'bin/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
