import { buildConfig, ConfigError } from '../../config/config';

/** The three notification variables of buildConfig (src/config/config.ts). */
describe('notification settings in the config', () => {
  it('is off by default, from Parley <no-reply@localhost>, 60 s after a message', () => {
    expect(buildConfig({}).notifications).toEqual({
      smtpUrl: null,
      mailFrom: 'Parley <no-reply@localhost>',
      delaySeconds: 60,
    });
    expect(buildConfig({ SMTP_URL: '' }).notifications.smtpUrl).toBeNull();
  });

  it('accepts smtp and smtps URLs, a plain or named sender and a zero delay', () => {
    const config = buildConfig({
      SMTP_URL: 'smtps://user:pa%40ss@mail.example.com:465',
      MAIL_FROM: 'alerts@example.com',
      NOTIFY_DELAY_SECONDS: '0',
    });
    expect(config.notifications).toEqual({
      smtpUrl: 'smtps://user:pa%40ss@mail.example.com:465',
      mailFrom: 'alerts@example.com',
      delaySeconds: 0,
    });
  });

  it('refuses other schemes, malformed URLs and senders without an address, naming the variable', () => {
    expect(() => buildConfig({ SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL/);
    expect(() => buildConfig({ SMTP_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => buildConfig({ MAIL_FROM: 'Parley' })).toThrow(/MAIL_FROM/);
    expect(() => buildConfig({ NOTIFY_DELAY_SECONDS: '-1' })).toThrow(/NOTIFY_DELAY_SECONDS/);
  });

  it('never echoes a malformed SMTP_URL, which may hold a password', () => {
    expect(() => buildConfig({ SMTP_URL: 'smtp://user:hunter2@bad host' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});
