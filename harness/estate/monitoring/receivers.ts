/**
 * The receivers a drill runs for Alertmanager, on 127.0.0.1: an SMTP server for the e-mail receivers and an HTTP
 * server for the webhook receivers. Each records every notification with its arrival time; nothing is relayed
 * anywhere.
 */
import { createServer, type Server } from 'node:http';
import { SMTPServer } from 'smtp-server';
import { PrerequisiteError } from '../../core/errors.ts';
import type { ReceiverInfo } from './config.ts';

export type AlertStatus = 'firing' | 'resolved';

/** One notification as a receiver got it. */
export interface Notification {
  /** The Alertmanager receiver it was meant for (by the webhook's path, by the e-mail's recipients). */
  receiver: string;
  via: 'email' | 'webhook';
  /** Arrival, wall clock (Date.now()). */
  atWallMs: number;
  /** The group's status. */
  status: AlertStatus;
  /** The alerts it carried, by rule name, with their own status. */
  alerts: { name: string; status: AlertStatus }[];
}

export interface Receivers {
  readonly smtpPort: number;
  readonly webhookPort: number;
  /** Every notification so far, in arrival order. */
  notifications(): readonly Notification[];
  close(): Promise<void>;
}

/**
 * Start both receivers. `receivers` attributes an e-mail to its receiver by recipient address. A port that
 * cannot be bound is a PrerequisiteError (exit 3) naming the receiver and the port.
 */
export async function startReceivers(
  ports: { smtp: number; webhook: number },
  receivers: () => readonly ReceiverInfo[],
  /**
   * The address they listen on: loopback, unless the senders run in containers (the docker backend: the
   * gateway of the estate's own network, which only that network's containers and this machine reach).
   */
  host = '127.0.0.1',
): Promise<Receivers> {
  const got: Notification[] = [];
  const webhook = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const receiver = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0] ?? '');
      try {
        const msg = JSON.parse(body) as {
          status?: string;
          alerts?: { status?: string; labels?: Record<string, string> }[];
        };
        got.push({
          receiver,
          via: 'webhook',
          atWallMs: Date.now(),
          status: msg.status === 'resolved' ? 'resolved' : 'firing',
          alerts: byName(
            (msg.alerts ?? []).map((a) => ({
              name: a.labels?.alertname ?? '',
              status: a.status === 'resolved' ? 'resolved' : 'firing',
            })),
          ),
        });
        res.writeHead(200).end('ok');
      } catch {
        res.writeHead(400).end('not JSON');
      }
    });
  });
  await listen('webhook receiver', host, ports.webhook, (port, onError) => {
    webhook.once('error', onError);
    webhook.listen(port, host);
    return new Promise<void>((r) => webhook.once('listening', () => r()));
  });

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'drillbook alert receiver',
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const { status, alerts } = parseAlertMail(raw);
        const names = receivers()
          .filter((r) => r.emailTo.some((a) => to.includes(a)))
          .map((r) => r.name);
        for (const receiver of names.length ? names : [`email to ${to.join(', ')}`])
          got.push({ receiver, via: 'email', atWallMs: Date.now(), status, alerts });
        callback();
      });
    },
  });
  smtp.on('error', () => undefined);
  try {
    await listen('SMTP receiver', host, ports.smtp, (port, onError) => {
      const server = (smtp as unknown as { server: Server }).server;
      server.once('error', onError);
      return new Promise<void>((r) => smtp.listen(port, host, () => r()));
    });
  } catch (e) {
    await new Promise((r) => webhook.close(r));
    throw e;
  }
  const addr = (s: Server) => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  return {
    smtpPort: addr((smtp as unknown as { server: Server }).server),
    webhookPort: addr(webhook),
    notifications: () => got,
    async close() {
      webhook.closeAllConnections();
      await Promise.all([
        new Promise((r) => webhook.close(r)),
        new Promise<void>((r) => smtp.close(() => r())),
      ]);
    },
  };
}

async function listen(
  what: string,
  host: string,
  port: number,
  bind: (port: number, onError: (e: Error) => void) => Promise<void>,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    bind(port, (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        new PrerequisiteError(
          `the drill's ${what} cannot listen on ${host}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : e.message}`,
          'free the port, or choose another with DRILL_ALERT_SMTP_PORT / DRILL_ALERT_WEBHOOK_PORT (unset: a free port)',
        ),
      );
    }).then(resolve, reject);
  });
}

/**
 * The status and alerts of an Alertmanager e-mail with the default template: the subject's
 * `[FIRING:n]`/`[RESOLVED]` (the group's status, given to each of its alerts), and the `alertname = X` of each
 * alert listed in the body (quoted-printable decoded), or the subject's first group label without any.
 */
export function parseAlertMail(raw: string): {
  status: AlertStatus;
  alerts: { name: string; status: AlertStatus }[];
} {
  const split = raw.search(/\r?\n\r?\n/);
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r?\n[ \t]+/g, ' ');
  const subject = (/^subject:(.*)$/im.exec(head)?.[1] ?? '').trim();
  const status: AlertStatus = /\[RESOLVED\]/i.test(subject) ? 'resolved' : 'firing';
  const body = (split < 0 ? '' : raw.slice(split))
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  const alerts: { name: string; status: AlertStatus }[] = [];
  for (const m of body.matchAll(/alertname\s*=\s*([A-Z_a-z:][\w:]*)/g))
    alerts.push({ name: m[1] as string, status });
  if (!alerts.length) {
    const name = /\]\s*([a-z_:][\w:]*)/i.exec(subject)?.[1];
    if (name) alerts.push({ name, status });
  }
  return { status, alerts: byName(alerts) };
}

/**
 * One entry per rule: a notification of a group lists every alert of it (one per series), resolved ones
 * beside firing ones; the rule is firing in it when any of its alerts is.
 */
function byName(
  alerts: readonly { name: string; status: AlertStatus }[],
): { name: string; status: AlertStatus }[] {
  const out = new Map<string, AlertStatus>();
  for (const a of alerts) if (out.get(a.name) !== 'firing') out.set(a.name, a.status);
  return [...out].map(([name, status]) => ({ name, status }));
}
