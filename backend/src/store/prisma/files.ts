import type { FileMedia } from '../../protocol/index.js';
import type { StoredFileRecord } from '../records.js';
import type { FilesRepository } from '../repositories/files.js';
import type { StoreContext } from './context.js';

type FileRow = NonNullable<Awaited<ReturnType<StoreContext['db']['storedFile']['findUnique']>>>;

const toFile = (row: FileRow): StoredFileRecord => ({ ...row, media: row.media as FileMedia });

/** Stored files on Prisma (a cold path: one row per upload). */
export class PrismaFiles implements FilesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async createFile(file: StoredFileRecord): Promise<void> {
    await this.ctx.db.storedFile.create({ data: file });
  }

  async getFile(id: string): Promise<StoredFileRecord | null> {
    const row = await this.ctx.db.storedFile.findUnique({ where: { id } });
    return row && toFile(row);
  }

  async fileSentIn(fileId: string, conversationId: string): Promise<boolean> {
    const row = await this.ctx.db.message.findFirst({ where: { fileId, conversationId }, select: { id: true } });
    return row !== null;
  }

  async uploadedBytesSince(uploaderId: string, since: Date): Promise<number> {
    const sum = await this.ctx.db.storedFile.aggregate({
      where: { uploaderId, createdAt: { gte: since } },
      _sum: { size: true },
    });
    return sum._sum.size ?? 0;
  }

  async unreferencedFiles(before: Date, limit: number): Promise<StoredFileRecord[]> {
    const q = this.ctx.sql();
    const rows = await this.ctx.db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT f."id" FROM "StoredFile" f WHERE f."createdAt" < ${q.time(before)} ` +
        `AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."fileId" = f."id") ORDER BY f."createdAt" LIMIT ${q.p(limit, '::integer')}`,
      ...q.params,
    );
    if (rows.length === 0) return [];
    const found = await this.ctx.db.storedFile.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return found.map(toFile).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async deleteUnreferencedFile(id: string): Promise<boolean> {
    const q = this.ctx.sql();
    const deleted = await this.ctx.db.$executeRawUnsafe(
      `DELETE FROM "StoredFile" WHERE "id" = ${q.p(id)} AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."fileId" = ${q.p(id)})`,
      ...q.params,
    );
    return deleted > 0;
  }
}
