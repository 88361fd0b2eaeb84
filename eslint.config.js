// ESLint flat config: type-checked rules plus the layer rule from ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'eslint.config.js', 'scripts/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name=/^(env|argv)$/]",
          message: 'Only src/main.ts reads process.env / process.argv.',
        },
      ],
    },
  },
  {
    files: ['src/main.ts', 'test/**', 'bench/**', 'scripts/**', 'src/**/*.test.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  layer(['src/redfish/**'], ['**/kube/**', '**/sim/**'], 'redfish/ must not import kube/ or sim/.'),
  layer(
    ['src/auth/**'],
    ['**/kube/**', '**/sim/**', '**/redfish/**'],
    'auth/ speaks neither Kubernetes nor Redfish routes.',
  ),
  layer(
    ['src/kube/**'],
    ['**/redfish/**', '**/auth/**', '**/sim/**'],
    'kube/ must not import redfish/, auth/ or sim/.',
  ),
  layer(
    ['src/backend/**'],
    ['**/kube/**', '**/redfish/**', '**/auth/**', '**/sim/**'],
    'backend/ is the port: no implementations.',
  ),
  layer(
    ['src/sim/**'],
    [
      '**/redfish/**',
      '**/kube/**',
      '**/auth/**',
      '**/backend/**',
      '**/config/**',
      '**/observability/**',
    ],
    'sim/ imports none of the product.',
  ),
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
