import { betterAuth } from "better-auth-rs";

export const auth = betterAuth({
  // SQLite by default; DATABASE_URL=postgres://... or mysql://... for many instances.
  database: process.env.DATABASE_URL ?? "sqlite:./auth.db",
  // Creates missing tables on first use (on Postgres/MySQL too; or run `npx better-auth-rs migrate`).
  autoMigrate: true,
  // REDIS_URL=redis://127.0.0.1:6379 keeps sessions and rate-limit counters in Redis.
  ...(process.env.REDIS_URL ? { secondaryStorage: process.env.REDIS_URL } : {}),
  emailAndPassword: { enabled: true },
  trustedOrigins: [process.env.FRONTEND_ORIGIN ?? "http://localhost:5173"],
});
