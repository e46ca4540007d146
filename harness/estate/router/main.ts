/**
 * Process entrypoint of the traffic router, run by the harness as
 * `node --import tsx harness/estate/router/main.ts` with the {@link RouterConfig} as JSON in `ROUTER_CONFIG`.
 *
 * stdout carries JSON lines only, so the harness can parse it: first exactly one
 * `{"event":"listening","adminPort":N,"routes":[...]}` once everything is bound, then one line per repoint or
 * mode change. Exit codes: 0 after SIGTERM/SIGINT, 2 for a bad config, 1 when the router cannot start.
 *
 * @module
 */
import { RouterConfigError, validateRouterConfig } from './config.ts';
import { startRouter } from './router.ts';
import type { RouterConfig, StartedRouter } from './types.ts';

const EXIT_OK = 0;
const EXIT_START_FAILED = 1;
const EXIT_BAD_CONFIG = 2;
// stop() destroys every socket, so it should be near-instant; this only guards against a wedged shutdown.
const STOP_DEADLINE_MS = 5000;

function writeLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function fail(code: number, message: string): never {
  process.stderr.write(`router: ${message}\n`);
  process.exit(code);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parse and validate `ROUTER_CONFIG`; exits with code 2 and one stderr line when it is missing or wrong. */
function readConfig(raw: string | undefined): RouterConfig {
  if (raw === undefined || raw.trim() === '') fail(EXIT_BAD_CONFIG, 'ROUTER_CONFIG is not set');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    fail(EXIT_BAD_CONFIG, `ROUTER_CONFIG is not valid JSON: ${describe(error)}`);
  }
  try {
    return validateRouterConfig(parsed);
  } catch (error) {
    if (error instanceof RouterConfigError) fail(EXIT_BAD_CONFIG, `invalid ROUTER_CONFIG: ${error.message}`);
    throw error;
  }
}

function stopOnSignals(router: StartedRouter): void {
  const shutdown = (): void => {
    setTimeout(() => fail(EXIT_START_FAILED, 'stop timed out'), STOP_DEADLINE_MS).unref();
    router.stop().then(
      () => process.exit(EXIT_OK),
      (error: unknown) => fail(EXIT_START_FAILED, `stop failed: ${describe(error)}`),
    );
  };
  // A second signal while stopping is harmless: stop() is memoised.
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function main(): Promise<void> {
  const config = readConfig(process.env.ROUTER_CONFIG);
  let router: StartedRouter;
  try {
    router = await startRouter(config, {
      onEvent: writeLine,
      onError: (error, where) => process.stderr.write(`router: ${where}: ${error.message}\n`),
    });
  } catch (error) {
    fail(EXIT_START_FAILED, `failed to start: ${describe(error)}`);
  }
  stopOnSignals(router);
  writeLine({ event: 'listening', adminPort: router.adminPort, routes: router.routes() });
}

await main();
