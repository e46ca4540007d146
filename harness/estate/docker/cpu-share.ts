import type Dockerode from 'dockerode';

/**
 * The CPU cgroup parent the two-site estate's containers are created under, if not the engine's default.
 *
 * With the `cgroupfs` driver every container's cgroup is a child of `/docker`, which weighs as much as one ordinary
 * process at the root (`cpu.shares` 1024): on a machine busy with other work, all containers of every run together
 * get one process's share of the CPUs. Measured on a loaded 2-core machine: the app's main thread ran 645 ms and
 * waited 8.6 s for a CPU in 10 s of a drill's traffic, the whole `/docker` group got 28 % of a core, and the steady
 * state never held (docs/sites-docker.md). Under `/` each container is a cgroup of its own at the root, weighing
 * what one ordinary process does, as the local backend's processes do; the engine removes it with the container.
 * With the `systemd` driver containers already get slices of their own: the default is kept.
 */
export async function containerCgroupParent(d: Dockerode): Promise<string | undefined> {
  const info = (await d.info().catch(() => undefined)) as { CgroupDriver?: string } | undefined;
  return info?.CgroupDriver === 'cgroupfs' ? '/' : undefined;
}
