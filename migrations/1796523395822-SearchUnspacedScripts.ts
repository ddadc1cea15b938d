import { MigrationInterface, QueryRunner } from 'typeorm';

const OLD_EXPRESSION = `to_tsvector('simple'::regconfig, coalesce("content", ''))`;
// Chinese, Japanese and Korean characters indexed one by one (src/modules/messages/search-text.ts).
const NEW_EXPRESSION =
  `to_tsvector('simple'::regconfig, regexp_replace(coalesce("content", ''), ` +
  `'([\\u1100-\\u11FF\\u3040-\\u30FF\\u3130-\\u318F\\u31F0-\\u31FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uA960-\\uA97F` +
  `\\uAC00-\\uD7FF\\uF900-\\uFAFF\\uFF66-\\uFF9F\\U00020000-\\U0003FFFF])', ' \\1 ', 'g'))`;

/**
 * Search inside Chinese, Japanese and Korean text. PostgreSQL splits words at spaces and punctuation, so a run of
 * these characters was one word and only the whole run was found. The search vector now puts a space around each
 * such character, and searches turn a run into a phrase of single characters (a substring match).
 *
 * PostgreSQL 15 cannot change a generated column's expression in place: the column is dropped and added again,
 * which rewrites the messages table and rebuilds its search index (minutes for tens of millions of messages,
 * during which the table is locked). The index keeps `fastupdate = off` (SearchIndexWithoutPendingList).
 */
export class SearchUnspacedScripts1796523395822 implements MigrationInterface {
  name = 'SearchUnspacedScripts1796523395822';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await this.setExpression(queryRunner, NEW_EXPRESSION);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await this.setExpression(queryRunner, OLD_EXPRESSION);
  }

  private async setExpression(queryRunner: QueryRunner, expression: string): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_search"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "search_vector"`);
    await queryRunner.query(
      `ALTER TABLE "messages" ADD "search_vector" tsvector GENERATED ALWAYS AS (${expression}) STORED NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_search" ON "messages" USING GIN ("search_vector") WITH (fastupdate = off)`,
    );
    // TypeORM compares generated columns through typeorm_metadata.
    await queryRunner.query(
      `UPDATE "typeorm_metadata" SET "value" = $1
        WHERE "type" = 'GENERATED_COLUMN' AND "name" = 'search_vector' AND "database" = current_database()
          AND "schema" = 'public' AND "table" = 'messages'`,
      [expression],
    );
  }
}
