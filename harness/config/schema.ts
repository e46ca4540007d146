/**
 * The schema of drillbook's config file (`drillbook.config.yaml`, or `drillbook.config.json` with the same keys):
 * the system under test, how to see it, how to write to it, the runbook and the objectives. Every field carries
 * its description; `docs/config.md` is generated from them (`config/docs.ts`), so the two never disagree.
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';

const duration = z
  .string()
  .refine(
    (s) => {
      try {
        parseDuration(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: "a duration like '500ms', '30s', '30m' or '1h'" },
  )
  .meta({ description: "A duration: '500ms', '30s', '30m', '1h'." });

const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:@]*$/;
const image = z.string().regex(IMAGE_REF, { message: 'an image reference like "postgres:15"' });
const repository = image.refine((s) => !s.slice(s.lastIndexOf('/') + 1).includes(':'), {
  message: 'a repository without a tag (releases are its tags)',
});
const envTemplate = z
  .record(z.string().regex(/^[A-Z_]\w*$/i, { message: 'an environment variable name' }), z.string())
  .meta({
    description:
      'Environment variables, each a template: `{{databaseUrl}}`, `{{redisUrl}}`, `{{port}}`, `{{version}}`, `{{dbHost}}`, `{{dbPort}}`, `{{dbUser}}`, `{{dbPassword}}`, `{{dbName}}` are filled in by drillbook.',
  });
const blockId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'a block id (a-z, 0-9, -)' });

export const TEMPLATE_NAMES = [
  'databaseUrl',
  'redisUrl',
  'port',
  'version',
  'dbHost',
  'dbPort',
  'dbUser',
  'dbPassword',
  'dbName',
] as const;

const objectives = z
  .strictObject({
    rto: duration
      .optional()
      .meta({ description: 'Recovery time objective: how long the service may be down.' }),
    rpo: duration
      .optional()
      .meta({ description: 'Recovery point objective: how much acknowledged data (as time) may be lost.' }),
  })
  .meta({ description: 'RTO and RPO.' });

const sqlText = (description: string) => z.string().min(1).meta({ description });
const appPath = z.string().startsWith('/', { message: "a path starting with '/'" });
/** A request to the app through the router, and what it must answer. */
const probe = (what: string) =>
  z
    .strictObject({
      path: appPath.meta({ description: 'The path, through the router (`/api/items?limit=1`).' }),
      status: z
        .number()
        .int()
        .min(100)
        .max(599)
        .default(200)
        .meta({ description: 'The status that passes.' }),
      bodyIncludes: z.string().min(1).optional().meta({ description: 'Text the answer must contain.' }),
    })
    .meta({ description: what });
const identifier = z.string().regex(/^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$/, {
  message: 'a table name (lower-case identifier, optionally schema-qualified)',
});

/**
 * The user's data, as the data-protection drills seed, fingerprint and damage it (backup-restore,
 * db-migration-rollback, q3-data-corruption, backup-verify) and the path that serves it (the deploy drills).
 */
const data = z
  .strictObject({
    table: identifier.optional().meta({
      description:
        'The table a disaster drops (`backup-restore`: `DROP TABLE <table> CASCADE`) and a stuck session locks (`alerts-fire`).',
    }),
    seed: sqlText(
      'SQL that writes the data a restore must bring back (a few thousand rows): run once on the primary before the backup.',
    ).optional(),
    fingerprint: sqlText(
      "SQL returning one row that identifies that data (a row count and a checksum over every column that matters, in a fixed order), leaving the canary's rows out: equal before and after means the same data.",
    ).optional(),
    probe: probe(
      "A read of the data through the app, used as the clients' probe by drills whose fault breaks the data, not the process (a dropped table, a bad release): it fails while the data cannot be served. Default: `health`.",
    ).optional(),
    canaryFingerprint: sqlText(
      "SQL like `fingerprint` over the canary's rows up to a sequence number `$1` (`backup-verify` compares them on the primary and a restored copy); `$1` is a bigint.",
    ).optional(),
    canaryMaxSeq: sqlText(
      "SQL returning the highest canary sequence number written so far (-1 when none), for `backup-verify`'s consistent point.",
    ).optional(),
    migrations: z
      .strictObject({
        base: z.string().min(1).meta({
          description:
            'The revision the running release needs, which a schema rollback returns to (handed to the `migrate-down` block as TARGET_REVISION).',
        }),
        revision: sqlText('SQL returning the applied revision (one value).'),
      })
      .optional()
      .meta({ description: "The system's schema revisions (`db-migration-rollback`)." }),
    markers: z
      .strictObject({
        insert: sqlText('SQL that writes marker rows with known content.'),
        fingerprint: sqlText('SQL returning one row that identifies the marker rows.'),
        corrupt: sqlText(
          'The corruption (`q3-data-corruption`): SQL that damages every row, the markers included (an UPDATE without WHERE).',
        ),
        corrupted: sqlText('SQL counting the damaged rows: `0` after a good restore.'),
        probe: probe(
          "A read of one marker through the app (the clients' probe): fails once the marker is damaged.",
        ),
      })
      .optional()
      .meta({
        description: 'Marker rows a point-in-time recovery must bring back undamaged (`q3-data-corruption`).',
      }),
  })
  .meta({
    description:
      "The system's data, as the data-protection drills seed, fingerprint and damage it. A drill that needs a field this section lacks is left out (named: exit 2), and `drill list` says which.",
  });

/** A request the app must answer a certain way while its cache is down. */
const cacheExpectation = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .meta({ description: 'What this shows, for the report ("reads without the cache").' }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH']).default('GET').meta({ description: 'HTTP method.' }),
    path: appPath.meta({ description: 'The path, on the app.' }),
    body: z.unknown().optional().meta({ description: 'A JSON body to send.' }),
    status: z.number().int().min(100).max(599).default(200).meta({ description: 'The status that passes.' }),
    bodyIncludes: z.string().min(1).optional().meta({ description: 'Text the answer must contain.' }),
    headers: z
      .record(z.string().regex(/^[a-z0-9-]+$/, { message: 'a lower-case header name' }), z.string())
      .default({})
      .meta({ description: 'Headers the answer must carry, with these values.' }),
  })
  .meta({ description: 'One request and its expected answer.' });

/** The cache role: how the app shows it has its cache, and how it must degrade without it (`redis-failure`). */
const cache = z
  .strictObject({
    seed: sqlText(
      'SQL that writes the data the read path serves (and caches), run before steady state.',
    ).optional(),
    up: probe(
      "A request that succeeds only while the app serves with its cache (the clients' probe: the RTO is the cache's outage).",
    ),
    lost: z
      .strictObject({
        name: z
          .string()
          .min(1)
          .default('the app reports its cache lost')
          .meta({ description: 'What this condition is called in the report (an alert of yours, say).' }),
        path: appPath.meta({ description: 'The path (`/metrics`).' }),
        matches: z
          .string()
          .min(1)
          .refine(
            (s) => {
              try {
                new RegExp(s, 'm');
                return true;
              } catch {
                return false;
              }
            },
            { message: 'a regular expression' },
          )
          .meta({
            description:
              'A regular expression (multi-line) the answer matches once the app sees the cache gone.',
          }),
      })
      .meta({ description: 'Where the app reports that it lost its cache; polled until it does.' }),
    degraded: z.array(cacheExpectation).min(1).meta({
      description:
        'What the app must answer without its cache (degrade, not fail): each is an integrity check; one that fails fails the drill.',
    }),
  })
  .meta({
    description:
      'The cache role (`redis-failure`): how the app shows it has its cache, and how it must degrade without it.',
  });

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).optional().meta({ description: 'The config format version (1).' }),
    system: z
      .strictObject({
        name: z
          .string()
          .min(1)
          .meta({ description: 'What the system is called in reports ("order-service").' }),
        local: z
          .strictObject({
            command: z.array(z.string().min(1)).min(1).meta({
              description:
                'How to start the app as a process: the program and its arguments (no shell), e.g. `["python3", "app.py"]`.',
            }),
            cwd: z
              .string()
              .default('.')
              .meta({ description: 'Its working directory, relative to the config file.' }),
            env: envTemplate.default({}),
          })
          .optional()
          .meta({ description: 'The app on the local backend: a process on 127.0.0.1.' }),
        docker: z
          .strictObject({
            image: repository.meta({
              description:
                'The app image repository; a release is its tag (`<image>:<version>`). DRILL_IMAGE_APP overrides it.',
            }),
            port: z
              .number()
              .int()
              .min(1)
              .max(65535)
              .default(3000)
              .meta({ description: 'The port the app listens on inside its container.' }),
            env: envTemplate.default({}),
            compose: z
              .strictObject({
                file: z
                  .string()
                  .min(1)
                  .meta({ description: 'The compose file, relative to the config file.' }),
                services: z
                  .strictObject({
                    database: z.string().min(1).meta({ description: 'The PostgreSQL service.' }),
                    cache: z.string().min(1).optional().meta({ description: 'The Redis service, if any.' }),
                    app: z.string().min(1).meta({ description: 'The application service.' }),
                  })
                  .meta({
                    description:
                      "Which service plays which role. drillbook adds the standby, the router and the spares around them; it never edits the user's file.",
                  }),
                run: z.boolean().default(true).meta({
                  description:
                    "Run the system through this file on the docker backend (a generated override around the mapped services, `docker-compose`); false: drillbook's own containers, the file only maps roles.",
                }),
                env: envTemplate.default({}).meta({
                  description:
                    "Variables for the file's `${VAR}` interpolation (the templates of `system.local.env`), e.g. `POSTGRES_PASSWORD: '{{dbPassword}}'` for a `${POSTGRES_PASSWORD:?}` the file requires.",
                }),
              })
              .optional()
              .meta({
                description: 'The compose file the system ships with, and its services mapped to roles.',
              }),
            build: z
              .strictObject({
                packages: z
                  .array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/, { message: 'a Debian package name' }))
                  .default([])
                  .meta({
                    description:
                      "Debian packages the app needs, installed on drillbook's offline base image (`python3-psycopg2`).",
                  }),
                copy: z.array(z.string().min(1)).min(1).meta({
                  description:
                    "Files and directories of the app, relative to the config file, copied to the image's `workdir`.",
                }),
                workdir: z.string().regex(/^\//, { message: 'an absolute path' }).default('/app').meta({
                  description: 'Where they go in the image, and the working directory of its command.',
                }),
                command: z
                  .array(z.string().min(1))
                  .min(1)
                  .meta({ description: 'The image\'s command (no shell), e.g. `["python3", "app.py"]`.' }),
              })
              .optional()
              .meta({
                description:
                  "How `drill images build` makes the app's release images offline (no registry): one per release, `<image>:<release>`, with the release's `env` baked in.",
              }),
          })
          .optional()
          .meta({ description: 'The app on the docker backend: a container of a release image.' }),
        kube: z
          .strictObject({
            readinessPath: z.string().regex(/^\//, { message: 'a path starting with /' }).optional().meta({
              description:
                "The path of the pods' readiness probe (an HTTP GET on the app's port); `health.path` when unset.",
            }),
          })
          .optional()
          .meta({
            description:
              'The app on the kube backend: a Deployment of the `system.docker` image, port and environment.',
          }),
        releases: z
          .record(
            z.string().regex(/^[\w.-]+$/, { message: 'a release name like "v1"' }),
            z
              .strictObject({
                env: z
                  .record(z.string(), z.string())
                  .default({})
                  .meta({ description: 'Environment this release runs with (on top of the app env).' }),
                notes: z.string().optional().meta({ description: 'What this release is, for people.' }),
              })
              .meta({ description: 'One release.' }),
          )
          .refine((r) => Object.keys(r).length > 0, { message: 'at least one release' })
          .meta({
            description:
              'The releases a drill may deploy, by name (a drill starts the first; a deploy drill rolls to others). On docker each is a tag of the app image.',
          }),
        tools: z.array(z.string().min(1)).default([]).meta({
          description:
            "Directories of the system's own tools (its migration command), relative to the config file: put on the PATH of runbook blocks.",
        }),
        postgres: z
          .strictObject({
            version: z
              .string()
              .regex(/^\d+$/)
              .optional()
              .meta({ description: 'Major version the local backend must find (`15`); any when unset.' }),
            image: image
              .optional()
              .meta({ description: 'Image on the docker backend (DRILL_IMAGE_POSTGRES overrides).' }),
          })
          .default({})
          .meta({ description: 'The database.' }),
        redis: z
          .strictObject({
            image: image
              .optional()
              .meta({ description: 'Image on the docker backend (DRILL_IMAGE_REDIS overrides).' }),
          })
          .default({})
          .meta({ description: 'The cache.' }),
      })
      .optional()
      .meta({ description: 'The system under test. Required to run drills.' }),
    health: z
      .strictObject({
        path: z.string().startsWith('/', { message: "a path starting with '/'" }).default('/ready').meta({
          description: 'The readiness path: healthy only when the app can serve (its database answers).',
        }),
        status: z.number().int().min(100).max(599).default(200).meta({ description: 'The healthy status.' }),
        bodyIncludes: z.string().optional().meta({ description: 'Text a healthy answer must contain.' }),
        interval: duration.optional().meta({
          description:
            "How often the drill probes the path (the RTO's resolution; default the drill's, 15ms): what the system can take. `--probe-interval` overrides it.",
        }),
        version: z
          .strictObject({
            path: z
              .string()
              .startsWith('/', { message: "a path starting with '/'" })
              .meta({ description: 'A GET path that answers with the release the app runs.' }),
            field: z
              .string()
              .min(1)
              .optional()
              .meta({ description: 'The top-level JSON field of the answer that names the release.' }),
            header: z
              .string()
              .min(1)
              .optional()
              .meta({ description: 'A response header that names the release.' }),
          })
          .refine((v) => v.field !== undefined || v.header !== undefined, {
            message: 'a field or a header that names the release',
          })
          .optional()
          .meta({
            description:
              'How the app says which release it serves (the rollback drills check it after rolling back; a drill that needs it is left out without it). Both `field` and `header`, when given, must name the release.',
          }),
      })
      .default({ path: '/ready', status: 200 })
      .meta({ description: 'How to see the system: the probe clients use through the router.' }),
    canary: z
      .discriminatedUnion('through', [
        z
          .strictObject({
            through: z.literal('app').meta({ description: "Write through the app's own write path." }),
            rate: z.number().positive().max(1000).optional().meta({
              description: "Canary writes per second (default: the drill's, 50): what the system can take.",
            }),
            method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').meta({ description: 'HTTP method.' }),
            path: z
              .string()
              .startsWith('/', { message: "a path starting with '/'" })
              .meta({ description: 'The write path (`/api/items`).' }),
            body: z.unknown().meta({
              description:
                'The JSON body; the strings `{{seq}}` (a number) and `{{runId}}` are replaced in every value.',
            }),
            committed: z
              .array(z.number().int().min(100).max(599))
              .min(1)
              .default([201])
              .meta({ description: 'The statuses that mean the write is committed.' }),
            readBack: z.string().min(1).meta({
              description:
                "SQL that reads this run's canaries back from the authoritative database: `$1` is the run id; it returns one column `seq`.",
            }),
          })
          .meta({
            description:
              'Through the app: measures what the app acknowledged and lost (its own transactions, pools and retries). Needs a write API.',
          }),
        z
          .strictObject({
            through: z.literal('database').meta({
              description:
                'Write into a `drillbook_canary` table drillbook creates, through the database endpoint.',
            }),
            rate: z.number().positive().max(1000).optional().meta({
              description: "Canary writes per second (default: the drill's, 50): what the system can take.",
            }),
          })
          .meta({
            description:
              'Through the database endpoint: measures what the database lost; misses what the app itself loses.',
          }),
      ])
      .optional()
      .meta({ description: 'How to write to the system (the RPO is measured on these writes).' }),
    data: data.optional(),
    cache: cache.optional(),
    runbook: z
      .strictObject({
        file: z
          .string()
          .min(1)
          .meta({ description: 'The runbook markdown file, relative to the config file.' }),
        blocks: z.record(blockId, blockId).default({}).meta({
          description:
            "Where the runbook's block ids differ from drillbook's: drillbook's step id -> the runbook's block id.",
        }),
      })
      .optional()
      .meta({ description: 'The runbook whose blocks drills execute.' }),
    objectives: objectives
      .extend({
        drills: z
          .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'a drill id' }), objectives)
          .default({})
          .meta({ description: 'Per drill, by id: override the plan-wide and scenario objectives.' }),
      })
      .optional()
      .meta({ description: "The DR plan's objectives: plan-wide, then per drill." }),
    docker: z
      .strictObject({
        images: z
          .strictObject({
            postgres: image.optional().meta({ description: 'The PostgreSQL image.' }),
            redis: image.optional().meta({ description: 'The Redis image.' }),
            node: image.optional().meta({ description: 'The Node.js image the router runs in.' }),
            app: repository
              .optional()
              .meta({ description: 'The app image repository (releases are its tags).' }),
          })
          .optional()
          .meta({ description: 'Images per role (kept from earlier versions of the config).' }),
      })
      .optional()
      .meta({ description: 'Docker backend images (see docs/docker.md).' }),
    checklist: z
      .strictObject({
        variables: z
          .array(z.string().regex(/^[A-Z_]\w*$/i, { message: 'an environment variable name' }))
          .optional()
          .meta({
            description: 'Environment variables the deployment needs (names, never values); default: none.',
          }),
        secrets: z
          .array(z.string().regex(/^[A-Z_]\w*$/i, { message: 'an environment variable name' }))
          .optional()
          .meta({
            description:
              'Secrets the deployment needs (names; their values are redacted wherever they could appear).',
          }),
        gates: z
          .array(
            z
              .strictObject({
                name: z
                  .string()
                  .min(1)
                  .regex(/^[^\t\n]+$/, { message: 'a one-line text' })
                  .meta({ description: 'What the gate is called in the checklist.' }),
                run: z
                  .string()
                  .min(1)
                  .regex(/^[^\n]+$/, { message: 'a one-line command' })
                  .meta({
                    description: "A shell command run in the config file's directory; exit 0 passes.",
                  }),
              })
              .meta({ description: 'One test gate.' }),
          )
          .optional()
          .meta({
            description: 'Test gates that must pass before a deployment (unit, integration, smoke tests).',
          }),
        serviceName: z
          .string()
          .regex(/^[a-z0-9.-]+$/i, { message: 'a host name' })
          .optional()
          .meta({
            description:
              'The host name clients use: the certificate must match it and it must resolve (default `localhost`).',
          }),
        limits: z
          .strictObject({
            maxLagBytes: z
              .number()
              .int()
              .min(0)
              .optional()
              .meta({ description: 'Most replication lag the standby may have, in bytes (16 MiB).' }),
            minFreePct: z
              .number()
              .int()
              .min(0)
              .optional()
              .meta({ description: 'Least free disk where the database lives, in percent (20).' }),
            maxBackupAgeHours: z
              .number()
              .int()
              .min(0)
              .optional()
              .meta({ description: 'Oldest a backup may be, in hours (24).' }),
            minCertDays: z
              .number()
              .int()
              .min(0)
              .optional()
              .meta({ description: "Fewest days the endpoint's certificate must still be valid (30)." }),
          })
          .optional()
          .meta({ description: 'The limits the checks hold the estate to.' }),
        monitoring: z
          .strictObject({
            prometheusUrl: z
              .string()
              .regex(/^https?:\/\/\S+$/, { message: 'an http(s) URL' })
              .optional()
              .meta({
                description:
                  "A Prometheus of your own for the monitoring items; default: the estate's, when it runs monitoring (they skip without one).",
              }),
            alertmanagerUrl: z
              .string()
              .regex(/^https?:\/\/\S+$/, { message: 'an http(s) URL' })
              .optional()
              .meta({ description: "An Alertmanager of your own; default: the estate's." }),
          })
          .optional()
          .meta({
            description: "Monitoring of your own to check instead of the estate's (each URL on its own).",
          }),
      })
      .optional()
      .meta({
        description:
          'What the pre-deployment checklist (`drill checklist`, see docs/checklist.md) is told about the deployment: names and commands, never values.',
      }),
    signing: z
      .strictObject({
        trustedPublicKey: z.string().min(1).optional().meta({
          description:
            'The public key (PEM) every signed run must be signed by; relative to the config file. Implies requireSignature.',
        }),
        requireSignature: z
          .boolean()
          .optional()
          .meta({ description: '`drill verify`, `report` and `status` fail runs that carry no signature.' }),
      })
      .optional()
      .meta({ description: 'Which signatures `drill verify` trusts (see docs/hardening.md).' }),
  })
  .meta({
    title: 'drillbook config',
    description: "drillbook's config file: the system under test and its drills.",
  });

export type Config = z.output<typeof ConfigSchema>;
export type SystemConfig = NonNullable<Config['system']>;
export type CanaryConfig = NonNullable<Config['canary']>;
export type ChecklistConfig = NonNullable<Config['checklist']>;
export type DataConfig = NonNullable<Config['data']>;
export type CacheConfig = NonNullable<Config['cache']>;
