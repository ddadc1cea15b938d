import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a message has reactions, and whether it was sent with attachments. The history page and `sync` read
 * reactions and attachments only for the messages that have them: probing both tables for every message shown
 * was about a sixth of PostgreSQL's time per history page of 50, though most messages have neither.
 *
 * Adding a column with a constant default is instant; the backfill rewrites only the messages that have
 * reactions or attachments.
 */
export class MessageDetailFlags1796533651264 implements MigrationInterface {
  name = 'MessageDetailFlags1796533651264';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "has_reactions" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "has_attachments" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `UPDATE "messages" m SET "has_reactions" = true
        WHERE m."deleted_at" IS NULL AND EXISTS (SELECT 1 FROM "message_reactions" r WHERE r."message_id" = m."id")`,
    );
    await queryRunner.query(
      `UPDATE "messages" m SET "has_attachments" = true
        WHERE EXISTS (SELECT 1 FROM "message_attachments" a WHERE a."message_id" = m."id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "has_attachments"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "has_reactions"`);
  }
}
