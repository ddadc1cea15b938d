import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../../config/config';

export interface OutgoingMail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
}

/** `host:port` of an SMTP URL: safe to log (the URL itself carries the password). */
export function smtpHost(smtpUrl: string): string {
  return new URL(smtpUrl).host;
}

/**
 * SMTP through nodemailer, with a small connection pool that is closed at shutdown. Timeouts are short so a
 * hung mail server fails the job (Bull retries it with backoff) instead of holding the worker for minutes.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { smtpUrl, mailFrom } = config.notifications;
    this.transport = smtpUrl
      ? createTransport(
          {
            url: smtpUrl,
            pool: true,
            maxConnections: 2,
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 30_000,
          },
          { from: mailFrom },
        )
      : null;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (!this.transport) throw new Error('Email is disabled (SMTP_URL is empty)');
    await this.transport.sendMail(mail);
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
