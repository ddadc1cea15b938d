import { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1795266634361 implements MigrationInterface {
  name = 'Accounts1795266634361';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Accounts: users, sessions (refresh-token families), spent refresh tokens (reuse detection), blocks, audit.
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" uuid NOT NULL, "type" character varying(64) NOT NULL, "actor_id" uuid, "target_id" uuid, "ip" character varying(64), "user_agent" character varying(512), "details" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_type" ON "audit_events"  ("type", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_actor" ON "audit_events"  ("actor_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_target" ON "audit_events"  ("target_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_events_created" ON "audit_events"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL, "username" character varying(64) NOT NULL, "email" character varying(254), "display_name" character varying(64), "password_hash" character varying(255) NOT NULL, "role" character varying(16) NOT NULL DEFAULT 'user', "disabled" boolean NOT NULL DEFAULT false, "settings" jsonb NOT NULL DEFAULT '{}', "avatar_media_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_users_role" CHECK ("role" IN ('user', 'admin')), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    // Case-insensitive uniqueness and prefix search (text_pattern_ops lets LIKE 'abc%' use the btree).
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_username_lower" ON "users" (lower("username"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_email" ON "users" ("email")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_users_username_prefix" ON "users" (lower("username") text_pattern_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_users_display_name_prefix" ON "users" (lower("display_name") text_pattern_ops)`,
    );
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "refresh_hash" character(64) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoke_reason" character varying(32), "ip" character varying(64), "user_agent" character varying(512), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_sessions_refresh_hash" ON "sessions"  ("refresh_hash") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_user_active" ON "sessions"  ("user_id", "created_at") WHERE "revoked_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "spent_refresh_tokens" ("token_hash" character(64) NOT NULL, "session_id" uuid NOT NULL, "spent_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b432dbc7e329e80b1308d3b70e4" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_spent_refresh_tokens_session" ON "spent_refresh_tokens"  ("session_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "user_blocks" ("blocker_id" uuid NOT NULL, "blocked_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_48667515438e7d0f0fed998b193" PRIMARY KEY ("blocker_id", "blocked_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_user_blocks_blocked" ON "user_blocks"  ("blocked_id") `);
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "spent_refresh_tokens" ADD CONSTRAINT "FK_dd85bde5c004e5834f2219b9c47" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_blocks" ADD CONSTRAINT "FK_dfcd8a81016d1de587fbd2d70bf" FOREIGN KEY ("blocker_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_blocks" ADD CONSTRAINT "FK_7a0806a54f0ad9ced3e247cacd1" FOREIGN KEY ("blocked_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_blocks" DROP CONSTRAINT "FK_7a0806a54f0ad9ced3e247cacd1"`);
    await queryRunner.query(`ALTER TABLE "user_blocks" DROP CONSTRAINT "FK_dfcd8a81016d1de587fbd2d70bf"`);
    await queryRunner.query(
      `ALTER TABLE "spent_refresh_tokens" DROP CONSTRAINT "FK_dd85bde5c004e5834f2219b9c47"`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_user_blocks_blocked"`);
    await queryRunner.query(`DROP TABLE "user_blocks"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_spent_refresh_tokens_session"`);
    await queryRunner.query(`DROP TABLE "spent_refresh_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_user_active"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_sessions_refresh_hash"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_users_display_name_prefix"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_users_username_prefix"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_users_email"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_users_username_lower"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_target"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_actor"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_type"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
