// @ts-check
/**
 * The layering of drillbook, checked by `npm run lint` (dependency-cruiser). Each rule says why it exists; a
 * rule is changed here, with its reason, never silenced in the code. Type-only imports count: a layer that
 * imports a type from another already depends on its shape.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle means two modules are one concept split in two, or one of them is in the wrong layer. ' +
        'Move the shared part down (a types file) instead.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'report-reads-the-record-only',
      severity: 'error',
      comment:
        'Reports are pure functions of the record (harness/record/) and the timeline. They never reach the ' +
        'estate, the runner, the procedure, the probes or the drill definitions: a fact a report needs belongs ' +
        'in the record, typed.',
      from: { path: '^harness/report/' },
      to: { path: '^harness/(estate|drill|runbook|probes|faults|cli)/' },
    },
    {
      name: 'scenarios-use-no-backend',
      severity: 'error',
      comment:
        'A scenario declares what it needs from an estate through the shared interface (harness/estate/*.ts); ' +
        'it never imports a backend folder (local/, docker/, any future one), so it runs on every backend.',
      from: { path: '^scenarios/' },
      to: { path: '^harness/estate/[^/]+/' },
    },
    {
      name: 'measure-is-pure',
      severity: 'error',
      comment:
        'Measurements (RTO, RPO, the rollback decision) are pure functions of the timeline: they import the ' +
        'timeline and nothing else (no other measurement, no clock, no I/O, no package).',
      from: { path: '^harness/measure/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^harness/measure/timeline\\.ts$' },
    },
    {
      name: 'record-is-a-leaf-model',
      severity: 'error',
      comment:
        'The drill record is the model every report reads: it depends on the timeline and the measurement ' +
        'result types only, so a report never drags in how the record was produced.',
      from: { path: '^harness/record/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^harness/(record|measure)/' },
    },
    {
      name: 'record-uses-measure-types-only',
      severity: 'error',
      comment: 'Of harness/measure/ the record takes types, and the timeline helpers; never a computation.',
      from: { path: '^harness/record/', pathNot: '\\.test\\.ts$' },
      to: { path: '^harness/measure/(?!timeline\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      comment:
        'Samples, fixtures and helpers built for tests live under tests/; production code (harness/, ' +
        'scenarios/, bin/) never imports them.',
      from: { path: '^(harness|scenarios|bin)/', pathNot: '\\.test\\.ts$' },
      to: { path: '(^tests/|\\.test\\.ts$)' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve would escape every rule above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|reports|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
