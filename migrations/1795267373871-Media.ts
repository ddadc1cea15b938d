import { MigrationInterface, QueryRunner } from 'typeorm';

export class Media1795267373871 implements MigrationInterface {
  name = 'Media1795267373871';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "media" ("id" uuid NOT NULL, "owner_id" uuid NOT NULL, "file_name" character varying(255) NOT NULL, "mime_type" character varying(127) NOT NULL, "size" bigint NOT NULL, "sha256" character(64) NOT NULL, "width" integer, "height" integer, "has_thumbnail" boolean NOT NULL DEFAULT false, "storage_key" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f4e0fcac36e050de337b670d8bd" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_media_owner_created" ON "media"  ("owner_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE "message_attachments" ("message_id" uuid NOT NULL, "media_id" uuid NOT NULL, "position" smallint NOT NULL, CONSTRAINT "PK_77f4175994fb5a40c8c8c543d7e" PRIMARY KEY ("message_id", "media_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_message_attachments_media" ON "message_attachments"  ("media_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "media" ADD CONSTRAINT "FK_c6889397830b5ed0f2a30362065" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_477f6d51c35a8ef4e3a72e63239" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_477f6d51c35a8ef4e3a72e63239"`,
    );
    await queryRunner.query(
      `ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88"`,
    );
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "FK_c6889397830b5ed0f2a30362065"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_message_attachments_media"`);
    await queryRunner.query(`DROP TABLE "message_attachments"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_owner_created"`);
    await queryRunner.query(`DROP TABLE "media"`);
  }
}
