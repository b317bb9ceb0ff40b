// ESLint's flat config for the dashboard's modules: eslint's recommended
// rules, browser globals, ES modules. infra/local/lint.sh runs it with
// PAYLINKS_ESLINT_MODULES naming the node_modules it installed eslint,
// @eslint/js and globals into (.tools/eslint-<version>/node_modules).
import { createRequire } from 'node:module';

const modules = process.env.PAYLINKS_ESLINT_MODULES;
if (!modules) throw new Error('PAYLINKS_ESLINT_MODULES is not set: run make lint');
const require = createRequire(modules.replace(/\/?$/, '/'));
const js = require('@eslint/js');
const globals = require('globals');

export default [
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  { files: ['eslint.config.mjs'], languageOptions: { globals: { ...globals.node } } },
];
