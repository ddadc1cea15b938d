import Bull from 'bull';
import { randomBytes, randomUUID } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';
import { runEnv } from '../support/run-env';
import { RegisteredUser } from '../support/users';

/** One email as the SMTP server received it. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

/** A real SMTP server on loopback that keeps every message it accepts. */
export interface MailServer {
  port: number;
  mails: ReceivedMail[];
  /** Users that authenticated, with their passwords, to prove the app sent SMTP_URL's credentials. */
  logins: Array<{ username: string; password: string }>;
  /** Recipient addresses (lower case) the server refuses with 550, as a server without that mailbox would. */
  refused: Set<string>;
  mailsTo(address: string): ReceivedMail[];
  /** Polls (bounded) until a mail to `address` matching `predicate` has arrived. */
  waitForMail(address: string, predicate?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startMailServer(): Promise<MailServer> {
  const mails: ReceivedMail[] = [];
  const logins: MailServer['logins'] = [];
  const refused = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    // Plain SMTP on loopback; nodemailer would otherwise upgrade to the server's self-signed certificate.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? '', password: auth.password ?? '' });
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (!refused.has(address.address.toLowerCase())) return callback();
      callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        mails.push({ ...parseMail(raw), to });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const mailsTo = (to: string): ReceivedMail[] => mails.filter((mail) => mail.to.includes(to.toLowerCase()));
  return {
    port,
    mails,
    logins,
    refused,
    mailsTo,
    async waitForMail(to, predicate = () => true) {
      for (let attempt = 0; attempt < 300; attempt++) {
        const found = mailsTo(to).find(predicate);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `no matching email to ${to}; got ${mails.length}: ${mails.map((m) => m.subject).join(' | ')}`,
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- a small MIME reader: enough for nodemailer's text + HTML multipart/alternative ----

function splitHeaders(block: string): { headers: Map<string, string>; body: string } {
  const end = block.indexOf('\r\n\r\n');
  const head = end < 0 ? block : block.slice(0, end);
  const body = end < 0 ? '' : block.slice(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding = '7bit'): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return body;
  }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`), as nodemailer writes non-ASCII headers. */
function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=\s*/gi, (_, _charset, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}

function parseMail(raw: string): Omit<ReceivedMail, 'to'> {
  const { headers, body } = splitHeaders(raw);
  const parts: Array<{ type: string; content: string }> = [];
  const collect = (partHeaders: Map<string, string>, partBody: string): void => {
    const type = partHeaders.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      for (const section of partBody.split(`--${boundary}`).slice(1)) {
        if (section.startsWith('--')) break;
        const part = splitHeaders(section.replace(/^\r\n/, ''));
        collect(part.headers, part.body);
      }
      return;
    }
    parts.push({
      type: type.split(';')[0].trim().toLowerCase(),
      content: decodeBody(partBody, partHeaders.get('content-transfer-encoding')),
    });
  };
  collect(headers, body);
  return {
    from: decodeHeader(headers.get('from') ?? ''),
    subject: decodeHeader(headers.get('subject') ?? ''),
    text: parts.find((part) => part.type === 'text/plain')?.content ?? '',
    html: parts.find((part) => part.type === 'text/html')?.content ?? '',
    raw,
  };
}

// ---- the app under test ----

/**
 * Starts Parley with its own Redis key prefix (under this run's, so teardown removes it): its notifications
 * queue is then private, and no other spec's server, running in parallel, can take its jobs or its counts.
 */
export function startNotificationsApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  return startApp({
    REDIS_KEY_PREFIX: `${runEnv().redisPrefix}notifications-${randomBytes(4).toString('hex')}:`,
    ...overrides,
  });
}

/** The app's notifications queue, seen from the test, to hold jobs back while a scenario is set up. */
export function notificationsQueue(app: TestApp): Bull.Queue {
  return new Bull('notifications', app.env.REDIS_URL, { prefix: `${app.env.REDIS_KEY_PREFIX}bull` });
}

/**
 * Polls (bounded) until the job for (message, recipient) is in the queue. The enqueue runs just after the
 * message's commit, so it can trail the HTTP answer by a moment; once it is queued, a job queued later runs
 * after it.
 */
export async function waitForJob(
  queue: Bull.Queue,
  messageId: string,
  recipientId: string,
): Promise<Bull.Job> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const job = await queue.getJob(`${messageId}:${recipientId}`);
    if (job) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no notification job for message ${messageId} and user ${recipientId}`);
}

/** Runs `work` while no worker can start a notification job; jobs queued meanwhile wait, in order. */
export async function withQueuePaused(queue: Bull.Queue, work: () => Promise<void>): Promise<void> {
  await queue.pause();
  try {
    await work();
  } finally {
    await queue.resume();
  }
}

export class Api {
  readonly http: Http;

  constructor(app: TestApp) {
    this.http = Http.for(app);
  }

  async createGroup(owner: RegisteredUser, members: RegisteredUser[], name: string): Promise<{ id: string }> {
    const res = await this.http.post(
      '/api/v1/rooms',
      { type: 'group', name, memberIds: members.map((member) => member.user.id) },
      { token: owner.accessToken },
    );
    if (res.status !== 201) throw new Error(`createGroup: ${res.status} ${res.text}`);
    return res.body as { id: string };
  }

  async createDirect(user: RegisteredUser, peer: RegisteredUser): Promise<{ id: string }> {
    const res = await this.http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [peer.user.id] },
      { token: user.accessToken },
    );
    if (res.status !== 201) throw new Error(`createDirect: ${res.status} ${res.text}`);
    return res.body as { id: string };
  }

  async send(user: RegisteredUser, roomId: string, content: string): Promise<{ id: string; seq: number }> {
    const res = await this.http.post(
      `/api/v1/rooms/${roomId}/messages`,
      { clientMessageId: randomUUID(), content },
      { token: user.accessToken },
    );
    if (res.status !== 201) throw new Error(`send: ${res.status} ${res.text}`);
    return res.body as { id: string; seq: number };
  }

  async markRead(user: RegisteredUser, roomId: string, seq: number): Promise<void> {
    const res = await this.http.post(`/api/v1/rooms/${roomId}/read`, { seq }, { token: user.accessToken });
    if (res.status !== 204) throw new Error(`markRead: ${res.status} ${res.text}`);
  }

  async updateSettings(user: RegisteredUser, settings: Record<string, unknown>): Promise<void> {
    const res = await this.http.patch('/api/v1/users/me', { settings }, { token: user.accessToken });
    if (res.status !== 200) throw new Error(`updateSettings: ${res.status} ${res.text}`);
  }

  /** Polls (bounded) the public profile until the user shows as online. */
  async waitUntilOnline(viewer: RegisteredUser, user: RegisteredUser): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await this.http.get(`/api/v1/users/${user.user.id}`, { token: viewer.accessToken });
      if ((res.body as { presence?: string }).presence === 'online') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${user.user.username} never showed as online`);
  }

  /** One sample of a Prometheus metric from GET /metrics, or null when it is not there. */
  async metric(name: string, labels = ''): Promise<number | null> {
    const res = await this.http.get('/metrics');
    const line = res.text.split('\n').find((row) => row.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : null;
  }
}
