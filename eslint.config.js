// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import prettier from 'eslint-config-prettier/flat';

// Workflow code is replayed: it must not reach I/O, the clock or randomness except through Temporal.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioPackages = [
  'pg',
  'pg-*',
  'ioredis',
  'express',
  'socket.io',
  'socket.io-*',
  'drizzle-orm',
  'drizzle-orm/*',
  'pino',
  'pino-*',
  '@solana/*',
  '@coral-xyz/*',
  '@pythnetwork/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', 'drizzle/migrations/**', '**/*.d.ts', 'programs/**/target/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows are deterministic: no Node built-ins.' })),
          patterns: [
            { group: ioPackages, message: 'Workflows are deterministic: I/O belongs in activities/.' },
            {
              group: ['**/activities', '**/activities/*', '**/activities/**', '**/solana/**', '**/services/**'],
              allowTypeImports: true,
              message: 'Import activities as types only (import type ...).',
            },
            { group: ['**/platform/*', '**/api/*', '**/api/**'], message: 'Workflows may not import infrastructure.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflows are deterministic: no process access.' },
        { name: 'fetch', message: 'Workflows are deterministic: I/O belongs in activities/.' },
        { name: 'setInterval', message: 'Use sleep()/condition() from @temporalio/workflow.' },
      ],
    },
  },
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['web/**/*.ts', 'web/**/*.vue'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: { 'vue/max-attributes-per-line': 'off', 'vue/singleline-html-element-content-newline': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  // Layout is Prettier's (npm run format): the stylistic rules that would disagree with it are off.
  prettier,
);
