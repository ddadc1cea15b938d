import { Injectable, Logger } from '@nestjs/common';
import { decodeOptionalCursor, isTimeIdKey, Page, toPage } from '../../common/http/pagination';
import type { AuditEvent } from './audit-event.entity';
import { AuditRepository } from './audit.repository';
import type { AuditRecord } from './audit.types';
import type { AuditEventDto } from './audit.dto';

export function toAuditEventDto(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    type: event.type,
    actorId: event.actorId,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    createdAt: event.createdAt.toISOString(),
    details: event.details,
  };
}

/** Writes and reads the security audit trail. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: AuditRepository) {}

  /**
   * Records an event. A failure is logged rather than thrown: the action it describes has already happened
   * and must not be reported to the caller as failed.
   */
  async record(record: AuditRecord): Promise<void> {
    try {
      await this.repository.insert(record);
    } catch (error) {
      this.logger.error({ err: error, type: record.type }, 'Could not write audit event');
    }
  }

  async list(query: {
    userId?: string;
    type?: string;
    limit: number;
    cursor?: string;
  }): Promise<Page<AuditEventDto>> {
    const before = decodeOptionalCursor(query.cursor, isTimeIdKey);
    const rows = await this.repository.findPage({ ...query, before });
    return toPage(rows, query.limit, (row) => [row.createdAt.toISOString(), row.id], toAuditEventDto);
  }

  async listForUser(userId: string): Promise<AuditEventDto[]> {
    return (await this.repository.findAllForUser(userId)).map(toAuditEventDto);
  }
}
