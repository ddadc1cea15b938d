import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';

describe('smoke', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it('answers liveness', async () => {
    const res = await Http.for(app).get('/health');
    expect(res.body).toEqual({ status: 'ok' });
  });
});
