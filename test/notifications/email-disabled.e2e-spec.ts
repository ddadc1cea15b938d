import type { TestApp } from '../support/app';
import { registerUser } from '../support/users';
import { Api, startNotificationsApp } from './helpers';

/** Without SMTP_URL the feature is off: the app runs as usual and queues no notification jobs. */
describe('email notifications without SMTP_URL', () => {
  let app: TestApp;
  let api: Api;

  beforeAll(async () => {
    app = await startNotificationsApp({ SMTP_URL: '' });
    api = new Api(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('starts, says once that email is off, and queues nothing for mentions or direct messages', async () => {
    const [alice, bob] = await Promise.all([registerUser(app), registerUser(app)]);
    const group = await api.createGroup(alice, [bob], 'Quiet');
    const direct = await api.createDirect(alice, bob);

    await api.send(alice, group.id, `@${bob.user.username} hello`);
    await api.send(alice, direct.id, 'hello again');

    const offLines = app.logs().filter((line) => line.includes('Email notifications are off'));
    expect(offLines).toHaveLength(1);
    expect((await api.http.get('/health/ready')).status).toBe(200);
    for (const state of ['waiting', 'delayed', 'active', 'completed', 'failed']) {
      expect(await api.metric('queue_jobs', `{queue="notifications",state="${state}"}`)).toBe(0);
    }
  });
});
