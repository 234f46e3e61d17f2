// ESLint for the whole repository: the recommended rules of ESLint and typescript-eslint (type-aware:
// floating promises and misused promises need the types, and the program they need costs ~20 s of
// CPU here, most of `npm run lint`), the layer order of src/ (scripts/layers.mjs, through
// eslint-plugin-boundaries), and eslint-config-prettier last so that layout is Prettier's alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { DVC_ENTRY, LAYERS, allowedImports } from './scripts/layers.mjs';

const folders = LAYERS.flatMap((layer) => layer.folders);
const allowed = allowedImports();
const isFile = (path) => path.endsWith('.ts');
/** The entities (boundaries' selectors) of a folder of scripts/layers.mjs: its folders as elements, its single files as file categories. */
const selector = (folderName) => {
  const folder = folders.find((f) => f.name === folderName);
  return [
    ...(folder.paths.some((p) => !isFile(p)) ? [{ element: { type: folderName } }] : []),
    ...(folder.paths.some(isFile) ? [{ file: { categories: folderName } }] : []),
  ];
};
/** How a message names the importing or imported side: its folder, else its file. */
const name = (side) => `{{#if ${side}.element.path}}{{${side}.element.path}}/{{else}}{{${side}.file.path}}{{/if}}`;

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'reports/', 'data/', 'results/', 'models/', '.cache/', 'bench-out/', '.dvc/']),
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // What the recommended sets say that fights this codebase's deliberate style:
      // - An index read is marked with `!` where a missing element is ruled out, as if
      //   noUncheckedIndexedAccess were on: documentation that this rule calls a no-op.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // - `.catch((error: unknown) => … Promise.reject(error))` passes on what was caught, as is.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // - An async interface is implemented with `async` even where nothing is awaited (fakes,
      //   callbacks), so that a throw inside becomes a rejection as callers expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    // The experiment page's script runs in the browser, beside the vega-embed bundle it ships with.
    files: ['src/report/site/**/*.js'],
    languageOptions: { globals: { ...globals.browser, vegaEmbed: 'readonly' } },
  },

  // ---- the layers of src/ --------------------------------------------------------------------
  // A folder is a boundaries element, a single file (src/paths.ts) a file category; a policy per
  // folder allows what scripts/layers.mjs allows, and everything else is disallowed.
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': [
        ...folders.flatMap((folder) => folder.paths.filter((path) => !isFile(path)).map((path) => ({ type: folder.name, pattern: path, partialMatch: false }))),
        { type: 'harness', pattern: ['test', 'bench', 'scripts'], partialMatch: false },
      ],
      'boundaries/files': folders.flatMap((folder) => folder.paths.filter(isFile).map((path) => ({ category: folder.name, pattern: path }))),
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkUnknownLocals: true,
          message: `${name('from')} may not import ${name('to')}: the layers of src/ import downwards only (scripts/layers.mjs, docs/architecture.md)`,
          policies: [
            ...folders.map((folder) => ({ from: selector(folder.name), allow: { to: allowed.get(folder.name).flatMap(selector) } })),
            { from: { element: { type: 'harness' } }, allow: { to: [{ element: { type: '*' } }, { file: { path: '**' } }] } },
            {
              from: [{ element: { type: '!harness' } }, { file: { categories: '*' } }],
              disallow: { to: { element: { type: 'dvc', fileInternalPath: '!index.ts' } } },
              message: `${name('from')} imports src/dvc/{{to.element.fileInternalPath}}: outside src/dvc, the DVC library is imported through ${DVC_ENTRY} only`,
            },
          ],
        },
      ],
    },
  },
  { files: ['src/**/*.ts'], rules: { 'boundaries/no-unknown-files': 'error' } },
  prettier,
);
