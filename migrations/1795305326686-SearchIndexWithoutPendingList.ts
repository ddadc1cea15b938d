import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The message search index (GIN) without its pending list. With fastupdate on, inserts append to a pending list
 * and the insert that finds it over gin_pending_list_limit (4 MB) merges the whole list into the index itself:
 * at 1k msg/s that was one send every ~15 s holding its rooms' locks for 60-70 ms while the sends behind it
 * waited. Without the list every insert updates the index directly: a steady small cost instead of the stalls.
 */
export class SearchIndexWithoutPendingList1795305326686 implements MigrationInterface {
  name = 'SearchIndexWithoutPendingList1795305326686';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "IDX_messages_search" SET (fastupdate = off)`);
    // Entries already pending stay there until merged: merge them now rather than at some later insert.
    await queryRunner.query(`SELECT gin_clean_pending_list('"IDX_messages_search"'::regclass)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "IDX_messages_search" RESET (fastupdate)`);
  }
}
