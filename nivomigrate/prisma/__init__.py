"""The app's Prisma schema kept in step with the revisions at head.

NivoStack's services generate their client from `schema.prisma`; a `prisma db push` from it
would undo every revision it does not declare. This package runs the Prisma CLI offline
(`render`), reads the schema file (`schema`), compares Prisma's DDL with head as Prisma
attributes (`compare`) and rewrites those attributes in place (`write`).
"""
