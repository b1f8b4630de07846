import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
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
    // from being read as a workflow command.
    files: ['src/**'],
    ignores: ['src/core/output.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='core'][property.name=/^(info|warning|error|notice|debug|setFailed|setSecret|startGroup|endGroup|group)$/]", message: 'Write to the log through src/core/output.ts (or the Log).' },
        { selector: "MemberExpression[object.name='console']", message: 'Write to the log through src/core/output.ts (or the Log).' },
        { selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]", message: 'Write to the log through src/core/output.ts (or the Log).' },
      ],
    },
  },
  {
    files: ['src/actions/**', 'src/cli/**', 'test/**', 'bench/**', 'scripts/**', 'bin/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
