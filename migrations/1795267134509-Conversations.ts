import { MigrationInterface, QueryRunner } from 'typeorm';

export class Conversations1795267134509 implements MigrationInterface {
  name = 'Conversations1795267134509';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Conversations: rooms (with their seq/rev counters), memberships with read/delivered positions,
    // messages (gapless seq per room, rev per change, tombstones), previous versions, reactions.
    await queryRunner.query(
      `CREATE TABLE "rooms" ("id" uuid NOT NULL, "type" character varying(16) NOT NULL, "name" character varying(100), "description" character varying(1000), "direct_key" character varying(80), "created_by" uuid, "last_seq" integer NOT NULL DEFAULT '0', "rev" integer NOT NULL DEFAULT '0', "last_activity_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_rooms_type" CHECK ("type" IN ('direct', 'group')), CONSTRAINT "PK_0368a2d7c215f2d0458a54933f2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_rooms_direct_key" ON "rooms"  ("direct_key") `);
    // TypeORM compares generated columns through typeorm_metadata (created by the migration runner); the
    // database name must be the one migrated, not the one this file was generated against.
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value") VALUES (current_database(), $1, $2, $3, $4, $5)`,
      [
        'public',
        'messages',
        'GENERATED_COLUMN',
        'search_vector',
        "to_tsvector('simple'::regconfig, coalesce(\"content\", ''))",
      ],
    );
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" uuid NOT NULL, "room_id" uuid NOT NULL, "seq" integer NOT NULL, "rev" integer NOT NULL, "sender_id" uuid NOT NULL, "client_message_id" character varying(64) NOT NULL, "content" text, "parent_id" uuid, "thread_reply_count" integer NOT NULL DEFAULT '0', "mentions" uuid array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "edited_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, "search_vector" tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce("content", ''))) STORED NOT NULL, CONSTRAINT "UQ_messages_client_message" UNIQUE ("room_id", "sender_id", "client_message_id"), CONSTRAINT "UQ_messages_room_seq" UNIQUE ("room_id", "seq"), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`,
    );
    // Full-text search: 'simple' configuration (any language, no stemming), GIN for @@ queries.
    await queryRunner.query(`CREATE INDEX "IDX_messages_search" ON "messages" USING GIN ("search_vector")`);
    await queryRunner.query(`CREATE INDEX "IDX_messages_sender" ON "messages"  ("sender_id") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_thread" ON "messages"  ("parent_id", "seq") WHERE "parent_id" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_messages_room_rev" ON "messages"  ("room_id", "rev") `);
    await queryRunner.query(
      `CREATE TABLE "message_edits" ("id" uuid NOT NULL, "message_id" uuid NOT NULL, "content" text NOT NULL, "replaced_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_38e8913cdc69c8908540910301c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_message_edits_message" ON "message_edits"  ("message_id", "replaced_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "message_reactions" ("message_id" uuid NOT NULL, "user_id" uuid NOT NULL, "emoji" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f5a1f46b4f33ce416f9c192ab29" PRIMARY KEY ("message_id", "user_id", "emoji"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_message_reactions_user" ON "message_reactions"  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "room_members" ("room_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL DEFAULT 'member', "last_delivered_seq" integer NOT NULL DEFAULT '0', "last_read_seq" integer NOT NULL DEFAULT '0', "joined_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_room_members_role" CHECK ("role" IN ('owner', 'admin', 'member')), CONSTRAINT "PK_d4ea360161fd5ff21a94ae9d8a6" PRIMARY KEY ("room_id", "user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_room_members_user" ON "room_members"  ("user_id") `);
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_1dda4fc8dbeeff2ee71f0088ba0" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_22133395bd13b970ccd0c34ab22" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_932abe146b78bd584b4d1851ce3" FOREIGN KEY ("parent_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_edits" ADD CONSTRAINT "FK_e55266a1aace3c913e81bd129c5" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_reactions" ADD CONSTRAINT "FK_ce61e365d81a9dfc15cd36513b0" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_reactions" ADD CONSTRAINT "FK_b6d3eda2f99b64016d6a4cf112f" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "room_members" ADD CONSTRAINT "FK_e6cf45f179a524427ddf8bacd8e" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "room_members" ADD CONSTRAINT "FK_b2d15baf5b46ed9659bd71fbb43" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "room_members" DROP CONSTRAINT "FK_b2d15baf5b46ed9659bd71fbb43"`);
    await queryRunner.query(`ALTER TABLE "room_members" DROP CONSTRAINT "FK_e6cf45f179a524427ddf8bacd8e"`);
    await queryRunner.query(
      `ALTER TABLE "message_reactions" DROP CONSTRAINT "FK_b6d3eda2f99b64016d6a4cf112f"`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_reactions" DROP CONSTRAINT "FK_ce61e365d81a9dfc15cd36513b0"`,
    );
    await queryRunner.query(`ALTER TABLE "message_edits" DROP CONSTRAINT "FK_e55266a1aace3c913e81bd129c5"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_932abe146b78bd584b4d1851ce3"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_22133395bd13b970ccd0c34ab22"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_1dda4fc8dbeeff2ee71f0088ba0"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_room_members_user"`);
    await queryRunner.query(`DROP TABLE "room_members"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_message_reactions_user"`);
    await queryRunner.query(`DROP TABLE "message_reactions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_message_edits_message"`);
    await queryRunner.query(`DROP TABLE "message_edits"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_room_rev"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_thread"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_sender"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_search"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(
      `DELETE FROM "typeorm_metadata" WHERE "type" = $1 AND "name" = $2 AND "database" = current_database() AND "schema" = $3 AND "table" = $4`,
      ['GENERATED_COLUMN', 'search_vector', 'public', 'messages'],
    );
    await queryRunner.query(`DROP INDEX "public"."UQ_rooms_direct_key"`);
    await queryRunner.query(`DROP TABLE "rooms"`);
  }
}
