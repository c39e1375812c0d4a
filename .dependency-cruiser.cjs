/* global module */
/**
 * The import rules of skope-api, checked by dependency-cruiser in `npm test` (`npm run arch`).
 *
 * Layers, low to high (a layer imports only itself and the layers it lists; type-only imports count too):
 *   errors.ts, config/, geo/      low: anyone may import them
 *   jobs/                         generic job machinery: imports nothing domain-specific
 *   storage/                      byte sources
 *   raster/                       COG reading (and writing) over storage
 *   registry/                     datasets, lookups, colormaps over storage and geo
 *   tiles/, timeseries/           the two use cases, over raster, registry, storage, geo, jobs
 *   release/                      (to come) release builder over raster, registry, storage, geo
 *   http/                         routes over the use cases; nothing but the app (app.ts, main.ts, deps.ts) and
 *                                 cli/ imports it
 *   app.ts, main.ts, deps.ts      the app: deps.ts is its composition root (chooses implementations, builds the
 *                                 http app's AppDeps), app.ts registers the routes
 *   cli/                          the `skope` command: anything
 *   web/                          the map viewer (browser code, bundled by scripts/build-web.ts): imports
 *                                 neither src/ nor test/, and src/ never imports it
 * Test code (`*.test.ts`, test/) may import any layer; production code never imports test code or dev
 * dependencies. A new folder under src/ needs a line in LAYERS before its code can import anything.
 */
/** @typedef {import('dependency-cruiser').IConfiguration} IConfiguration */

/** Files only tests use: co-located tests, and everything under test/ (support code, fixtures, smoke tests). */
const TEST_CODE = [
  '\\.test\\.ts$',
  '\\.conformance\\.ts$',
  '\\.fixtures\\.ts$',
  '/__fixtures__/',
  '/__tests__/',
  '^test/',
];

/** Each layer: where its files are, and the layers it may import besides itself. */
const LAYERS = {
  errors: { path: '^src/errors\\.ts$', may: [] },
  config: { path: '^src/config/', may: ['errors'] },
  geo: { path: '^src/geo/', may: ['errors', 'config'] },
  jobs: { path: '^src/jobs/', may: ['errors', 'config'] },
  storage: { path: '^src/storage/', may: ['errors', 'config', 'geo'] },
  raster: { path: '^src/raster/', may: ['errors', 'config', 'geo', 'storage'] },
  registry: { path: '^src/registry/', may: ['errors', 'config', 'geo', 'storage'] },
  tiles: { path: '^src/tiles/', may: ['errors', 'config', 'geo', 'jobs', 'storage', 'raster', 'registry'] },
  timeseries: { path: '^src/timeseries/', may: ['errors', 'config', 'geo', 'jobs', 'storage', 'raster', 'registry'] },
  release: { path: '^src/release/', may: ['errors', 'config', 'geo', 'storage', 'raster', 'registry'] },
  http: {
    path: '^src/http/',
    may: ['errors', 'config', 'geo', 'jobs', 'storage', 'raster', 'registry', 'tiles', 'timeseries', 'release'],
  },
  app: {
    path: '^src/(app|main|deps)\\.ts$',
    may: ['errors', 'config', 'geo', 'jobs', 'storage', 'raster', 'registry', 'tiles', 'timeseries', 'release'].concat([
      'http',
    ]),
  },
  cli: {
    path: '^src/cli/',
    may: ['errors', 'config', 'geo', 'jobs', 'storage', 'raster', 'registry', 'tiles', 'timeseries', 'release'].concat([
      'http',
      'app',
    ]),
  },
};

const pathsOf = (names) => names.map((n) => LAYERS[n].path);

const layerRules = Object.entries(LAYERS).map(([name, layer]) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment:
    `${name} may import only ${layer.may.length > 0 ? layer.may.join(', ') : 'nothing else in src/'} ` +
    '(see the layer list at the top of .dependency-cruiser.cjs and CONTRIBUTING.md).',
  from: { path: layer.path, pathNot: TEST_CODE },
  to: { path: '^src/', pathNot: [layer.path, ...pathsOf(layer.may)] },
}));

/** @type {IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles tie modules together: move the shared piece down a layer or pass it in as an argument.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'only-app-and-cli-import-http',
      severity: 'error',
      comment: 'Nothing imports http/ but the app (src/app.ts, main.ts, deps.ts) and src/cli/ (and the http tests).',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/cli/', '^src/(app|main|deps)\\.ts$', ...TEST_CODE] },
      to: { path: '^src/http/' },
    },
    {
      name: 'web-apart-from-server',
      severity: 'error',
      comment:
        'The map viewer (web/) runs in the browser and talks to the server over HTTP only: it never imports src/ ' +
        '(nor test/), and nothing in src/ imports web/ (the server serves its built files, web/dist/).',
      from: { path: '^web/' },
      to: { path: '^(src|test)/' },
    },
    {
      name: 'server-apart-from-web',
      severity: 'error',
      comment: 'src/ never imports the viewer’s sources (web/): it serves the built bundle from web/dist/.',
      from: { path: '^src/' },
      to: { path: '^web/' },
    },
    {
      name: 'raster-reader-without-writer',
      severity: 'error',
      comment: 'The COG reader (src/raster/ outside writer/) never imports the writer: they are separate rooms.',
      from: { path: '^src/raster/', pathNot: ['^src/raster/writer/', ...TEST_CODE] },
      to: { path: '^src/raster/writer/' },
    },
    ...layerRules,
    {
      name: 'src-folder-in-a-layer',
      severity: 'error',
      comment: 'Every folder under src/ belongs to a layer: add the new one to LAYERS in .dependency-cruiser.cjs.',
      from: { path: '^src/', pathNot: [...Object.values(LAYERS).map((l) => l.path), ...TEST_CODE] },
      to: {},
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment: 'Production code (src/ outside tests) never imports test code: `npm run build` must ship none.',
      from: { path: '^src/', pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'no-dev-dependencies-in-production',
      severity: 'error',
      comment: 'Production code imports only `dependencies`: a production install has no devDependencies.',
      from: { path: '^src/', pathNot: TEST_CODE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^web/dist/', '^bench/\\.data/', '^demo-data/'] },
    // Type-only imports tie modules together as much as value imports (AppDeps, Cog …): count them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
