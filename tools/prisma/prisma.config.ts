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
    // allowExitOnIdle: the CLI exits when it is done instead of waiting for the pool's idle
    // timeout (10 s by default) to close the connection.
    new PrismaPg({
      connectionString: process.env.NIVOMIGRATE_PRISMA_ADAPTER_URL,
      allowExitOnIdle: true,
    }),
})
