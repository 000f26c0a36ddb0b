-- Message search (hand-written: Prisma's schema, shared with SQLite, cannot declare it). pg_trgm
-- makes ILIKE '%…%' use an index whatever the script (Chinese words have no spaces around them):
-- a GIN index of the trigrams of Message.body. Queries shorter than three characters make no
-- trigram; the planner then walks the conversation through ("conversationId", "id").
-- The extension is in PostgreSQL's contrib; creating it needs a role allowed to (see
-- docs/deployment.md). See docs/architecture.md, "Message search".
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX "Message_body_trgm_idx" ON "Message" USING GIN ("body" gin_trgm_ops);
