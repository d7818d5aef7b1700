// nivomigrate runs Prisma's migrate commands on the bundled WebAssembly schema engine, so no
// native engine is downloaded. `migrate diff` between datamodels neither reads nor writes the
// database behind the driver adapter, but the adapter needs a reachable server:
// nivomigrate passes its shadow server in NIVOMIGRATE_PRISMA_ADAPTER_URL.
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: process.env.NIVOMIGRATE_PRISMA_SCHEMA,
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.NIVOMIGRATE_PRISMA_ADAPTER_URL }),
})
