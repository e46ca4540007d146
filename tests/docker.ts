import { execFileSync } from 'node:child_process';
import { dockerProblem } from '../harness/estate/docker/checks.ts';

/**
 * Whether the docker drills of a test file are skipped: never in CI (a missing engine or image fails there, as it
 * must), elsewhere when the engine or an image is missing, saying why and how to get it.
 */
export async function skipWithoutDocker(
  what: string,
  more: () => Promise<string | undefined> = () => Promise.resolve(undefined),
): Promise<boolean> {
  const problem = (await dockerProblem()) ?? (await more());
  if (!problem || process.env.CI) return false;
  console.warn(
    `skipping ${what}: ${problem}. To run them: install Docker (apt-get install docker.io), start it ` +
      '(dockerd &), then `npx drill images build` (offline, from Debian packages).',
  );
  return true;
}

/** What the engine still holds for one run's label: containers, networks and volumes, by name. */
export function leftOnDocker(runId: string): string[] {
  const list = (args: string[], kind: string, format: string) =>
    execFileSync('docker', [...args, '--filter', `label=drillbook.run-id=${runId}`, '--format', format], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean)
      .map((name) => `${kind} ${name}`);
  return [
    ...list(['ps', '-a'], 'container', '{{.Names}}'),
    ...list(['network', 'ls'], 'network', '{{.Name}}'),
    ...list(['volume', 'ls'], 'volume', '{{.Name}}'),
  ];
}
