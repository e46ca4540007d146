import { describe, expect, it } from 'vitest';
import { alertmanagerForDrill } from '../monitoring/config.ts';
import { containerVolume } from './monitoring.ts';
import { MONITORING_PACKAGES, monitoringDockerfile, monitoringImage } from './monitoring-image.ts';

describe('the monitoring image', () => {
  it('is the five Debian packages on the offline base, labelled with the base it was built on', () => {
    const file = monitoringDockerfile('drillbook/debian:bookworm', 'sha256:abc');
    expect(file.split('\n')[0]).toBe('FROM drillbook/debian:bookworm');
    for (const pkg of MONITORING_PACKAGES) expect(file).toContain(` ${pkg}`);
    expect(file).toContain('--no-install-recommends');
    expect(file).toContain('drillbook.monitoring-base=sha256:abc');
    // The mirror is a build argument, never written into the recipe; the apt state is removed afterwards.
    expect(file).not.toMatch(/https?:\/\//);
    expect(file).toContain('rm -rf /var/lib/apt/lists/*');
  });
  it('DRILL_IMAGE_MONITORING names another image', () => {
    expect(monitoringImage({})).toBe('drillbook/monitoring:bookworm');
    expect(monitoringImage({ DRILL_IMAGE_MONITORING: 'mine/mon:1' })).toBe('mine/mon:1');
  });
});

describe('the alert receivers as containers reach them', () => {
  it('points every e-mail and webhook receiver at the given host', () => {
    const am = alertmanagerForDrill(
      [
        'route: { receiver: email }',
        'receivers:',
        '  - name: email',
        '    email_configs: [{ to: a@drillbook.invalid, smarthost: "127.0.0.1:2525" }]',
        '  - name: hook',
        '    webhook_configs: [{ url: "http://127.0.0.1:5001/x" }]',
      ].join('\n'),
      'am.yml',
      { smtp: 2600, webhook: 5100, host: '172.30.0.1' },
      40,
    );
    expect(am.yaml).toContain('smtp_smarthost: 172.30.0.1:2600');
    expect(am.yaml).toContain('url: http://172.30.0.1:5100/hook');
    expect(am.yaml).not.toContain('127.0.0.1');
  });
});

describe('the database volume filled inside its container', () => {
  it('writes the ballast that brings it to the fraction, as the database account, and removes it', async () => {
    const calls: { cmd: string; user?: string }[] = [];
    const exec = (cmd: string[], user?: string) => {
      calls.push({ cmd: cmd.join(' '), ...(user ? { user } : {}) });
      // 4 KiB blocks, 16384 of them (64 MiB), 15360 free: 4 MiB already used.
      return Promise.resolve({ exitCode: 0, output: cmd[2]?.startsWith('stat') ? '4096 16384 15360\n' : '' });
    };
    const vol = containerVolume(exec, '/v', 64 * 1024 * 1024);
    await vol.fill?.(0.9);
    await vol.clear?.();
    const target = Math.floor(64 * 1024 * 1024 * 0.9) - 4 * 1024 * 1024;
    expect(calls).toEqual([
      { cmd: "sh -c stat -f -c '%S %b %f' /v", user: 'postgres' },
      { cmd: `sh -c head -c ${target} /dev/zero > /v/ballast.fill`, user: 'postgres' },
      { cmd: 'sh -c rm -f /v/ballast.fill', user: 'postgres' },
    ]);
  });
  it('a command that fails inside the container is an error naming it', async () => {
    const vol = containerVolume(
      () => Promise.resolve({ exitCode: 1, output: 'No space left on device' }),
      '/v',
    );
    await expect(vol.clear?.()).rejects.toThrow(/rm -f \/v\/ballast.fill: exit 1: No space left on device/);
  });
});
