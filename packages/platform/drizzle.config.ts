/** drizzle-kit configuration: `npx drizzle-kit generate --config packages/platform/drizzle.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/platform/src/store/schema.ts',
  out: './packages/platform/src/store/migrations',
});
