import type Bull from 'bull';
import type { Socket } from 'socket.io-client';
import type { TestApp } from '../support/app';
import { connectSocket } from '../support/socket';
import { registerUser, RegisteredUser, uniqueName } from '../support/users';
import {
  Api,
  MailServer,
  notificationsQueue,
  startMailServer,
  startNotificationsApp,
  waitForJob,
  withQueuePaused,
} from './helpers';

const SMTP_PASSWORD = 'smtp-Secret-9f3b';

/**
 * Email notifications end to end: a real SMTP server on loopback receives what Parley sends. Jobs run on the
 * app's single worker in queue order, so "no email for X" is asserted once a later sentinel email to someone
 * else has arrived: X's job ran before it. Jobs are held back (queue paused) where a scenario needs several
 * steps to happen before the job runs; nothing depends on timing.
 */
describe('email notifications', () => {
  let mail: MailServer;
  let app: TestApp;
  let api: Api;
  let queue: Bull.Queue;
  // Sentinel: `watcher` mentions `lookout` in their own room; its email proves every earlier job has run.
  let watcher: RegisteredUser;
  let lookout: RegisteredUser;
  let lookoutRoom: string;

  const emailOf = (user: RegisteredUser): string => user.user.email;

  async function sentinel(): Promise<void> {
    const token = uniqueName('sentinel');
    await api.send(watcher, lookoutRoom, `@${lookout.user.username} ${token}`);
    await mail.waitForMail(emailOf(lookout), (received) => received.text.includes(token));
  }

  /** A group of `owner` and `members` with a unique name. */
  async function group(owner: RegisteredUser, ...members: RegisteredUser[]): Promise<string> {
    return (await api.createGroup(owner, members, uniqueName('Team'))).id;
  }

  beforeAll(async () => {
    mail = await startMailServer();
    app = await startNotificationsApp({
      SMTP_URL: `smtp://parley:${SMTP_PASSWORD}@127.0.0.1:${mail.port}`,
      MAIL_FROM: 'Parley Test <notify@parley.test>',
      NOTIFY_DELAY_SECONDS: '0',
    });
    api = new Api(app);
    queue = notificationsQueue(app);
    [watcher, lookout] = await Promise.all([registerUser(app), registerUser(app)]);
    lookoutRoom = await group(watcher, lookout);
  });

  afterAll(async () => {
    await queue?.close();
    await app?.stop();
    await mail?.close();
  });

  it('mails a mentioned offline member once, with the message and who sent it', async () => {
    const alice = await registerUser(app, { displayName: 'Alice Liddell' });
    const bob = await registerUser(app);
    const roomName = uniqueName('Wonderland');
    const room = (await api.createGroup(alice, [bob], roomName)).id;

    const message = await api.send(alice, room, `@${bob.user.username} the tea party starts at five`);

    const received = await mail.waitForMail(emailOf(bob));
    expect(received.from).toBe('Parley Test <notify@parley.test>');
    expect(received.subject).toBe(`Alice Liddell mentioned you in ${roomName}`);
    expect(received.text).toContain('the tea party starts at five');
    expect(received.text).toContain(`Alice Liddell (@${alice.user.username})`);
    expect(received.text).toContain(roomName);
    expect(received.html).toContain('the tea party starts at five');
    expect(received.html).toContain('Alice Liddell');
    await waitForJob(queue, message.id, bob.user.id);
    await sentinel();
    expect(mail.mailsTo(emailOf(bob))).toHaveLength(1);
    // Nobody else in the room was mentioned, and the sender never hears about their own message.
    expect(mail.mailsTo(emailOf(alice))).toHaveLength(0);
  });

  it('authenticates with the credentials in SMTP_URL and never logs the password', async () => {
    expect(mail.logins).toContainEqual({ username: 'parley', password: SMTP_PASSWORD });
    const logs = app.logs().join('\n');
    expect(logs).toContain(`SMTP 127.0.0.1:${mail.port}`);
    expect(logs).not.toContain(SMTP_PASSWORD);
  });

  it('mails the other member of a direct room without any mention', async () => {
    const [carol, dave] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = (await api.createDirect(carol, dave)).id;

    await api.send(carol, room, 'are you coming tomorrow?');

    const received = await mail.waitForMail(emailOf(dave));
    expect(received.subject).toBe(`${carol.user.username} sent you a message`);
    expect(received.text).toContain('are you coming tomorrow?');
    expect(received.text).toContain('direct message');
    expect(received.text).toContain(`@${carol.user.username}`);
  });

  it('sends one email listing all of three quick mentions, not three emails', async () => {
    const [erin, frank] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(erin, frank);
    const mention = `@${frank.user.username}`;

    const sent: Array<{ id: string }> = [];
    await withQueuePaused(queue, async () => {
      for (const point of ['first', 'second', 'third']) {
        sent.push(await api.send(erin, room, `${mention} ${point} point`));
      }
      for (const message of sent) await waitForJob(queue, message.id, frank.user.id);
    });

    const received = await mail.waitForMail(emailOf(frank));
    await sentinel();
    expect(mail.mailsTo(emailOf(frank))).toEqual([received]);
    expect(received.subject).toMatch(/^3 new mentions in /);
    const positions = ['first point', 'second point', 'third point'].map((text) =>
      received.text.indexOf(text),
    );
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('sends nothing to a recipient who is online', async () => {
    const [gina, hank] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(gina, hank);
    const socket: Socket = await connectSocket(app, hank.accessToken);
    try {
      await api.waitUntilOnline(gina, hank);
      const message = await api.send(gina, room, `@${hank.user.username} you are here, right?`);
      await waitForJob(queue, message.id, hank.user.id);
      await sentinel();
      expect(mail.mailsTo(emailOf(hank))).toHaveLength(0);
    } finally {
      socket.close();
    }
  });

  it('sends nothing when the recipient read the room before the job ran', async () => {
    const [ivy, jack] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(ivy, jack);

    await withQueuePaused(queue, async () => {
      const message = await api.send(ivy, room, `@${jack.user.username} read this soon`);
      await api.markRead(jack, room, message.seq);
      await waitForJob(queue, message.id, jack.user.id);
    });

    await sentinel();
    expect(mail.mailsTo(emailOf(jack))).toHaveLength(0);
  });

  it('sends nothing to a user whose settings turn email notifications off', async () => {
    const [kate, liam] = await Promise.all([registerUser(app), registerUser(app)]);
    await api.updateSettings(liam, { theme: 'dark', notifications: { email: false } });
    const room = await group(kate, liam);

    const message = await api.send(kate, room, `@${liam.user.username} you asked not to be mailed`);

    await waitForJob(queue, message.id, liam.user.id);
    await sentinel();
    expect(mail.mailsTo(emailOf(liam))).toHaveLength(0);
  });

  it('sends nothing about a message deleted before the job ran', async () => {
    const [quinn, rosa] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(quinn, rosa);

    await withQueuePaused(queue, async () => {
      const message = await api.send(quinn, room, `@${rosa.user.username} oops, wrong room`);
      const res = await api.http.delete(`/api/v1/messages/${message.id}`, undefined, {
        token: quinn.accessToken,
      });
      expect(res.status).toBe(204);
      await waitForJob(queue, message.id, rosa.user.id);
    });

    await sentinel();
    expect(mail.mailsTo(emailOf(rosa))).toHaveLength(0);
  });

  it('sends nothing to a recipient who left the room before the job ran', async () => {
    const [sam, tina] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(sam, tina);

    await withQueuePaused(queue, async () => {
      const message = await api.send(sam, room, `@${tina.user.username} are you still here?`);
      const res = await api.http.delete(`/api/v1/rooms/${room}/members/${tina.user.id}`, undefined, {
        token: tina.accessToken,
      });
      expect(res.status).toBe(204);
      await waitForJob(queue, message.id, tina.user.id);
    });

    await sentinel();
    expect(mail.mailsTo(emailOf(tina))).toHaveLength(0);
  });

  it('sends nothing about a mention from someone the recipient blocked', async () => {
    const [will, xena] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(will, xena);
    const res = await api.http.post(`/api/v1/users/${will.user.id}/block`, undefined, {
      token: xena.accessToken,
    });
    expect(res.status).toBe(204);

    const message = await api.send(will, room, `@${xena.user.username} you cannot hide from me`);

    await waitForJob(queue, message.id, xena.user.id);
    await sentinel();
    expect(mail.mailsTo(emailOf(xena))).toHaveLength(0);
  });

  it('sends once even when Bull runs the same job a second time', async () => {
    const [uma, vic] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(uma, vic);
    const message = await api.send(uma, room, `@${vic.user.username} just once please`);
    const job = await waitForJob(queue, message.id, vic.user.id);
    await mail.waitForMail(emailOf(vic));

    // A worker that died mid-job makes Bull hand the same payload out again.
    await queue.add('email-digest', job.data, { jobId: `${job.id}:again` });

    await sentinel();
    expect(mail.mailsTo(emailOf(vic))).toHaveLength(1);
  });

  it('escapes message content in the HTML body', async () => {
    const [mia, noah] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = await group(mia, noah);

    await api.send(mia, room, `@${noah.user.username} <script>alert("x")</script> & <b>bold</b>`);

    const received = await mail.waitForMail(emailOf(noah));
    expect(received.html).not.toContain('<script');
    expect(received.html).not.toContain('<b>bold');
    expect(received.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;',
    );
    expect(received.text).toContain('<script>alert("x")</script> & <b>bold</b>');
  });

  it('counts sent and skipped notifications in /metrics', async () => {
    expect(await api.metric('notifications_sent_total')).toBeGreaterThanOrEqual(4);
    for (const reason of [
      'online',
      'already_read',
      'opted_out',
      'already_notified',
      'message_deleted',
      'left_room',
    ]) {
      expect(await api.metric('notifications_skipped_total', `{reason="${reason}"}`)).toBeGreaterThanOrEqual(
        1,
      );
    }
  });

  it('logs a send the SMTP server refused, naming its reply but not the password, as one to retry', async () => {
    const [sender, unreachable] = await Promise.all([registerUser(app), registerUser(app)]);
    mail.refused.add(emailOf(unreachable).toLowerCase());
    await api.send(sender, await group(sender, unreachable), `@${unreachable.user.username} are you there?`);
    let warning: string | undefined;
    for (let attempt = 0; attempt < 150 && !warning; attempt++) {
      warning = app.logs().find((line) => line.includes('Notification email not sent'));
      if (!warning) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      msg: 'Notification email not sent; it will be retried',
      recipientId: unreachable.user.id,
      attempt: 1,
      reason: expect.stringContaining('550'),
    });
    expect(app.logs().join('\n')).not.toContain(SMTP_PASSWORD);
  });
});

/** The delay: jobs wait NOTIFY_DELAY_SECONDS, under an id that makes enqueueing idempotent. */
describe('email notifications with a delay', () => {
  let mail: MailServer;
  let app: TestApp;
  let api: Api;
  let queue: Bull.Queue;

  beforeAll(async () => {
    mail = await startMailServer();
    app = await startNotificationsApp({
      SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
      NOTIFY_DELAY_SECONDS: '1',
    });
    api = new Api(app);
    queue = notificationsQueue(app);
  });

  afterAll(async () => {
    await queue?.close();
    await app?.stop();
    await mail?.close();
  });

  it('queues one delayed, retried job per (message, recipient) and mails when it is due', async () => {
    const [olga, pete] = await Promise.all([registerUser(app), registerUser(app)]);
    const room = (await api.createDirect(olga, pete)).id;

    const message = await api.send(olga, room, 'see you at the station');

    const job = await waitForJob(queue, message.id, pete.user.id);
    expect(job.opts).toEqual(expect.objectContaining({ delay: 1000, attempts: expect.any(Number) }));
    expect(job.opts.attempts).toBeGreaterThan(1);
    expect(job.opts.backoff).toBeDefined();
    expect(job.data).toEqual({
      messageId: message.id,
      roomId: room,
      seq: message.seq,
      recipientId: pete.user.id,
    });
    // Nothing is queued for the sender.
    expect(await queue.getJob(`${message.id}:${olga.user.id}`)).toBeNull();

    const received = await mail.waitForMail(pete.user.email);
    expect(received.text).toContain('see you at the station');
  });

  it('shuts down cleanly with its pooled SMTP connection open', async () => {
    expect(await app.stop('SIGTERM')).toBe(0);
    expect(app.logs().some((line) => line.includes('Shutdown complete'))).toBe(true);
  });
});
