import { parse } from '../../core/args.ts';
import { UsageError } from '../../core/errors.ts';
import type { CommandIo } from '../backend.ts';
import { loadConfig, loadSystem } from '../../config/load.ts';
import { buildImages, debianMirrorHere } from './build.ts';
import { requireEngine } from './engine.ts';
import { ensureSystemImages } from './system-image.ts';
import { dockerImagePresentSync } from './engine.ts';
import { IMAGE_ROLES, readImageConfig, resolveImages } from './images.ts';
import { monitoringImage } from './monitoring-image.ts';

/**
 * `drill images build [--force] [--mirror URL] [--config FILE]`: the docker backend's images, built offline from
 * Debian's packages (no registry needed), and the system under test's release images when its config declares
 * `system.docker.build`; what exists and is current is reused.
 * `drill images list`: which image each role uses here, and where that choice comes from.
 */
export async function imagesCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') {
    const { values } = parse('images build', rest, {
      force: { type: 'boolean', default: false },
      mirror: { type: 'string' },
      config: { type: 'string' },
    });
    // The config is read first: a mistake in it stops the build before anything is made.
    const cwd = process.cwd();
    const system = loadConfig(cwd, io.env, values.config).config.system?.docker?.build
      ? loadSystem(cwd, io.env, values.config)
      : undefined;
    const started = performance.now();
    const results = await buildImages({
      force: values.force,
      ...(values.mirror ? { mirror: values.mirror } : {}),
      log: (line) => io.out.write(`${line}\n`),
    });
    // The system under test's own release images, when its config says how to make them (system.docker.build).
    if (system)
      results.push(
        ...(await ensureSystemImages(
          await requireEngine(),
          system,
          values.mirror ?? debianMirrorHere(io.env),
          (line) => io.out.write(`${line}\n`),
        )),
      );
    for (const r of results) {
      io.out.write(
        `${r.action.padEnd(6)} ${r.image}${r.ms ? ` in ${(r.ms / 1000).toFixed(1)} s` : ''}${r.sizeBytes ? ` (${Math.round(r.sizeBytes / 1e6)} MB)` : ''}\n`,
      );
    }
    io.out.write(`images ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  }
  if (sub === 'list') {
    parse('images list', rest, {});
    const { images, sources } = resolveImages(io.env, readImageConfig(process.cwd()), dockerImagePresentSync);
    for (const role of IMAGE_ROLES) {
      const ref = role === 'app' ? `${images.app}:<release>` : images[role];
      const here = role === 'app' ? '' : dockerImagePresentSync(images[role]) ? 'present' : 'absent';
      io.out.write(`${role.padEnd(9)} ${ref.padEnd(28)} ${sources[role].padEnd(7)} ${here}\n`);
    }
    const monitoring = monitoringImage(io.env);
    io.out.write(
      `${'monitoring'.padEnd(9)} ${monitoring.padEnd(28)} ${(io.env.DRILL_IMAGE_MONITORING ? 'env' : 'built').padEnd(7)} ${dockerImagePresentSync(monitoring) ? 'present' : 'absent'}\n`,
    );
    io.out.write(`(override with DRILL_IMAGE_<ROLE> or docker.images in the config file, docs/config.md)\n`);
    return 0;
  }
  throw new UsageError(`images: expected 'build' or 'list', not '${sub ?? ''}'`);
}
