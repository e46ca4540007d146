/**
 * What every backend's two-site estate shares: the primary site as one unit that dies, is partitioned and is
 * fenced together, and the shipping of the primary Redis's RDB snapshots to the DR site.
 */
import { copyFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINK_DOWN_FILE } from '../postgres-config.ts';
import type { PrimarySite, ProcessRole } from '../types.ts';

/** A role of the primary site and how it dies with the site (SIGKILL of its process group, a container kill). */
export interface SiteMember {
  role: ProcessRole;
  kill(): Promise<void>;
}

/**
 * The primary site: `kill` strikes every member in the same tick (each member's kill sends its signal before it
 * first waits), so the site dies in one instant, then waits until all of them are gone.
 */
export function primarySite(
  siteName: string,
  members: readonly SiteMember[],
  network?: SiteNetwork,
): PrimarySite {
  let fenced = false;
  let partitioned = false;
  return {
    name: siteName,
    roles: members.map((m) => m.role),
    async kill() {
      await Promise.all(members.map((m) => m.kill()));
    },
    ...(network
      ? {
          async partition() {
            partitioned = true;
            await network.partition();
          },
          // Idempotent: the procedure heals, the fault's revert heals again only if it did not.
          async heal() {
            if (!partitioned) return;
            await network.heal();
            partitioned = false;
          },
        }
      : {}),
    async fence() {
      fenced = true;
      await Promise.all(members.map((m) => m.role.stop()));
    },
    get fenced() {
      return fenced;
    },
    unfence() {
      fenced = false;
    },
    async start(name) {
      const role = members.find((m) => m.role.name === name)?.role;
      if (!role) throw new Error(`no role '${name}' at ${siteName}`);
      if (fenced)
        throw new Error(`${siteName} is fenced: rebuild it, then lift the fence (infra unfence ${siteName})`);
      if (!role.running()) await role.restart();
    },
  };
}

/** How a backend cuts the primary site off everything else while its processes keep running, and undoes it. */
export interface SiteNetwork {
  partition(): Promise<void>;
  heal(): Promise<void>;
}

/**
 * The primary site's links to the DR site that are files on the host (the WAL archive, the snapshot copies):
 * cut with the site's network. WAL: the marker file makes the primary's archive_command fail (it keeps the
 * segment and retries, as against an unreachable site). Snapshots: the shipper stops copying.
 */
export function shippingLink(walDir: string, shipper: SnapshotShipper | undefined): SiteNetwork {
  const marker = join(walDir, LINK_DOWN_FILE);
  return {
    partition() {
      writeFileSync(marker, 'the link from the primary site is cut\n');
      shipper?.pause();
      return Promise.resolve();
    },
    heal() {
      rmSync(marker, { force: true });
      shipper?.resume();
      return Promise.resolve();
    },
  };
}

/** Several ways a site is cut off, cut and healed together. */
export function allOf(...parts: SiteNetwork[]): SiteNetwork {
  return {
    async partition() {
      await Promise.all(parts.map((p) => p.partition()));
    },
    async heal() {
      await Promise.all(parts.map((p) => p.heal()));
    },
  };
}

/**
 * The primary Redis's RDB snapshot copied to the DR site each time Redis writes a new one (the runbook's
 * "Redis RDB persistence", shipped off-site): it looks every 100 ms, copies through a temporary file and a
 * rename (the DR site never sees half a snapshot) and keeps the snapshot's own modification time, which dates
 * it. A role of the primary site: it dies with it.
 */
export class SnapshotShipper implements ProcessRole {
  readonly name = 'redis-snapshot-shipping';
  private timer: NodeJS.Timeout | undefined;
  private lastMtimeMs = 0;
  private paused = false;

  constructor(
    private readonly source: string,
    private readonly targetDir: string,
  ) {}

  get pid(): number | undefined {
    return undefined;
  }
  running(): boolean {
    return this.timer !== undefined;
  }
  /** Any signal ends it, as a process of the site it belongs to would end. */
  signal(): void {
    this.halt();
  }
  stop(): Promise<void> {
    this.halt();
    return Promise.resolve();
  }
  restart(): Promise<void> {
    if (!this.timer) this.timer = setInterval(() => this.ship(), 100);
    return Promise.resolve();
  }
  /** The link to the DR site is cut: it keeps running, copies nothing until `resume`. */
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** Copy the snapshot now if Redis wrote a new one since the last copy; true when it did. */
  ship(): boolean {
    if (this.paused) return false;
    let mtime: Date;
    try {
      const st = statSync(this.source);
      if (st.size === 0 || st.mtimeMs === this.lastMtimeMs) return false;
      mtime = st.mtime;
      this.lastMtimeMs = st.mtimeMs;
    } catch {
      return false;
    }
    const target = join(this.targetDir, 'dump.rdb');
    const tmp = `${target}.tmp`;
    copyFileSync(this.source, tmp);
    utimesSync(tmp, mtime, mtime);
    renameSync(tmp, target);
    return true;
  }
  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
