"""@map / @@map changes become renames, with the keys and indexes whose Prisma names follow."""

from __future__ import annotations

from nivomigrate.prisma.renames import find_renames

OLD = """model User {
  id String @id
  nickname String? // the nick
  audits AuditEvent[]

  @@index([nickname])
}

model AuditEvent {
  id        String   @id @default(cuid())
  userId    String?
  user      User?    @relation(fields: [userId], references: [id], onDelete: SetNull)

  @@index([userId])
}
"""


def test_map_changes_are_renames_of_tables_columns_keys_and_indexes():
    new = OLD.replace("nickname String? // the nick", 'nickname String? @map("nick") // the nick')
    new = new.replace("  @@index([userId])\n}", '  @@index([userId])\n  @@map("audit_events")\n}')
    renames = find_renames(OLD, new)
    assert renames.renamed_text == new
    assert renames.upgrade == (
        'ALTER TABLE "AuditEvent" RENAME TO "audit_events"',
        'ALTER TABLE "User" RENAME COLUMN "nickname" TO "nick"',
        'ALTER INDEX "User_nickname_idx" RENAME TO "User_nick_idx"',
        'ALTER TABLE "audit_events" RENAME CONSTRAINT "AuditEvent_pkey" TO "audit_events_pkey"',
        'ALTER INDEX "AuditEvent_userId_idx" RENAME TO "audit_events_userId_idx"',
        'ALTER TABLE "audit_events" RENAME CONSTRAINT "AuditEvent_userId_fkey" TO '
        '"audit_events_userId_fkey"')
    assert renames.downgrade[-1] == 'ALTER TABLE "audit_events" RENAME TO "AuditEvent"'


def test_no_map_change_is_no_rename():
    new = OLD.replace("nickname String?", "nickname String? @default(\"x\")")
    renames = find_renames(OLD, new)
    assert renames.renamed_text == OLD and renames.upgrade == () and renames.downgrade == ()
