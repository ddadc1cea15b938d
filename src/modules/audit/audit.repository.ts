import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository, type QueryDeepPartialEntity } from 'typeorm';

import { AuditEvent } from './audit-event.entity';
import type { AuditRecord } from './audit.types';

export interface AuditFilter {
  userId?: string;
  type?: string;
  /** Sort key of the last event already shown: [createdAt ISO, id]. */
  before?: [string, string];
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  async insert(record: AuditRecord): Promise<void> {
    await this.events.insert({
      id: randomUUID(),
      type: record.type,
      actorId: record.actorId ?? null,
      targetId: record.targetId ?? null,
      ip: record.client?.ip?.slice(0, 64) ?? null,
      userAgent: record.client?.userAgent?.slice(0, 512) ?? null,
      details: record.details ?? {},
    } as QueryDeepPartialEntity<AuditEvent>);
  }

  /** Newest first; `limit + 1` rows so the caller can tell whether another page exists. */
  async findPage(filter: AuditFilter): Promise<AuditEvent[]> {
    const query = this.events.createQueryBuilder('e');
    if (filter.userId) {
      query.andWhere('(e.actor_id = :userId OR e.target_id = :userId)', { userId: filter.userId });
    }
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.before) {
      query.andWhere('(e.created_at, e.id) < (:beforeAt, :beforeId)', {
        beforeAt: filter.before[0],
        beforeId: filter.before[1],
      });
    }
    return query
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(filter.limit + 1)
      .getMany();
  }

  async findAllForUser(userId: string): Promise<AuditEvent[]> {
    return this.events
      .createQueryBuilder('e')
      .where('e.actor_id = :userId OR e.target_id = :userId', { userId })
      .orderBy('e.created_at', 'DESC')
      .limit(10_000)
      .getMany();
  }
}
